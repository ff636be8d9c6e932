import type { OpDef } from '../../op.js';
import { argOps } from './argminmax.js';
import { cumsumOps } from './cumsum.js';
import { einsumOps } from './einsum.js';
import { lossOps } from './loss.js';
import { matrixOps } from './matrix.js';
import { nmsOps } from './nms.js';
import { onehotOps } from './onehot.js';
import { rangeOps } from './range.js';
import { reductionOps } from './reductions.js';
import { selectOps } from './select.js';
import { signalOps } from './signal.js';
import { topkOps } from './topk.js';

export const reduceOps: OpDef[] = [
  ...reductionOps,
  ...argOps,
  ...topkOps,
  ...cumsumOps,
  ...rangeOps,
  ...lossOps,
  ...einsumOps,
  ...matrixOps,
  ...selectOps,
  ...onehotOps,
  ...signalOps,
  ...nmsOps,
];
