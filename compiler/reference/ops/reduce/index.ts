import type { OpDef } from '../../op.js';
import { argOps } from './argminmax.js';
import { cumsumOps } from './cumsum.js';
import { dftOps } from './dft.js';
import { einsumOps } from './einsum.js';
import { lossOps } from './loss.js';
import { matrixOps } from './matrix.js';
import { melOp } from './mel.js';
import { nmsOps } from './nms.js';
import { onehotOps } from './onehot.js';
import { rangeOps } from './range.js';
import { reductionOps } from './reductions.js';
import { selectOps } from './select.js';
import { topkOps } from './topk.js';
import { windowOps } from './windows.js';

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
  ...windowOps,
  ...dftOps,
  melOp,
  ...nmsOps,
];
