import type { OpDef } from '../../op.js';
import { convOps } from './conv.js';
import { matmulOps } from './matmul.js';

export const nnOps: OpDef[] = [...matmulOps, ...convOps];
