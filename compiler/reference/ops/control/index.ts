/**
 * Control flow, recurrent and sequence/optional ops. Inference convention for non-tensor values: a
 * sequence or optional is described by the TypeInfo of its element ({dtype} only for sequences, whose
 * items may differ in shape), so element ops (SequenceAt, OptionalGetElement) can pass the type on.
 */
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
