import type { OpDef } from '../../op.js';
import { affineGridOps } from './affineGrid.js';
import { convOps } from './conv.js';
import { convTransposeOps } from './convTranspose.js';
import { deformConvOps } from './deformConv.js';
import { dropoutOps } from './dropout.js';
import { gridSampleOps } from './gridSample.js';
import { lpNormalizationOps } from './lpNormalization.js';
import { matmulOps } from './matmul.js';
import { maxRoiPoolOps } from './maxRoiPool.js';
import { maxUnpoolOps } from './maxUnpool.js';
import { normalizationOps } from './normalization.js';
import { poolOps } from './pool.js';
import { quantizedOps } from './quantized.js';
import { quantizeOps } from './quantize.js';
import { roiAlignOps } from './roiAlign.js';

export const nnOps: OpDef[] = [
  ...matmulOps,
  ...convOps,
  ...convTransposeOps,
  ...poolOps,
  ...maxUnpoolOps,
  ...normalizationOps,
  ...dropoutOps,
  ...quantizeOps,
  ...quantizedOps,
  ...gridSampleOps,
  ...roiAlignOps,
  ...maxRoiPoolOps,
  ...lpNormalizationOps,
  ...deformConvOps,
  ...affineGridOps,
];
