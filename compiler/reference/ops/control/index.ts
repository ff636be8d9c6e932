import type { OpDef } from '../../op.js';

export const controlOps: OpDef[] = [];
