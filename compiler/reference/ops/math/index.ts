import type { OpDef } from '../../op.js';
import { arithmeticOps } from './arithmetic.js';

export const mathOps: OpDef[] = [...arithmeticOps];
