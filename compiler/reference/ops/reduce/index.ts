import type { OpDef } from '../../op.js';

export const reduceOps: OpDef[] = [];
