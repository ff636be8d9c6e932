import type { OpDef } from '../../op.js';
import { concatOps } from './concat.js';
import { constantOps } from './constant.js';
import { expandOps } from './expand.js';
import { gatherOps } from './gather.js';
import { padOps } from './pad.js';
import { resizeOps } from './resize.js';
import { reshapeOps } from './reshape.js';
import { scatterOps } from './scatter.js';
import { sequenceOps } from './sequence.js';
import { sliceOps } from './slice.js';
import { transposeOps } from './transpose.js';

export const tensorOps: OpDef[] = [
  ...constantOps,
  ...reshapeOps,
  ...transposeOps,
  ...concatOps,
  ...sliceOps,
  ...gatherOps,
  ...scatterOps,
  ...expandOps,
  ...padOps,
  ...resizeOps,
  ...sequenceOps,
];
