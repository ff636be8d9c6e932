import type { OpDef } from '../../op.js';
import { gruOp } from './gru.js';
import { ifOp } from './if.js';
import { loopOp } from './loop.js';
import { lstmOp } from './lstm.js';
import { optionalOps } from './optional.js';
import { rnnOp } from './rnn.js';
import { scanOp } from './scan.js';
import { sequenceMapOp } from './sequence-map.js';
import { sequenceSplitOps } from './sequence-split.js';
import { sequenceOps } from './sequence.js';

export const controlOps: OpDef[] = [
  lstmOp,
  gruOp,
  rnnOp,
  ifOp,
  loopOp,
  scanOp,
  ...sequenceOps,
  ...sequenceSplitOps,
  sequenceMapOp,
  ...optionalOps,
];
