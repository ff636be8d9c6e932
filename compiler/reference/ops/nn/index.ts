import type { OpDef } from '../../op.js';

export const nnOps: OpDef[] = [];
