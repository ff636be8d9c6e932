import type { OpDef } from '../../op.js';
import { convOps } from './conv.js';
import { matmulOps } from './matmul.js';
import { poolOps } from './pool.js';

export const nnOps: OpDef[] = [...matmulOps, ...convOps, ...poolOps];
