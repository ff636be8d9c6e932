import type { OpDef } from '../../op.js';
import { activationOps } from './activation.js';
import { arithmeticOps } from './arithmetic.js';
import { bitwiseOps } from './bitwise.js';
import { castOps } from './cast.js';
import { clipOps } from './clip.js';
import { logicOps } from './logic.js';
import { powOps } from './pow.js';
import { preluOps } from './prelu.js';
import { softmaxOps } from './softmax.js';
import { unaryOps } from './unary.js';
import { variadicOps } from './variadic.js';

export const mathOps: OpDef[] = [
  ...arithmeticOps,
  ...powOps,
  ...bitwiseOps,
  ...variadicOps,
  ...logicOps,
  ...unaryOps,
  ...activationOps,
  ...preluOps,
  ...clipOps,
  ...softmaxOps,
  ...castOps,
];
