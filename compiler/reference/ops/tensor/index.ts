import type { OpDef } from '../../op.js';

export const tensorOps: OpDef[] = [];
