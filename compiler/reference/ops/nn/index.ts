import type { OpDef } from '../../op.js';
import { convOps } from './conv.js';
import { convTransposeOps } from './convTranspose.js';
import { dropoutOps } from './dropout.js';
import { gridSampleOps } from './gridSample.js';
import { matmulOps } from './matmul.js';
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
];
