import type { OpDef } from '../../op.js';
import { argOps } from './argminmax.js';
import { cumsumOps } from './cumsum.js';
import { lossOps } from './loss.js';
import { rangeOps } from './range.js';
import { reductionOps } from './reductions.js';
import { topkOps } from './topk.js';

export const reduceOps: OpDef[] = [
  ...reductionOps,
  ...argOps,
  ...topkOps,
  ...cumsumOps,
  ...rangeOps,
  ...lossOps,
];
