import type { OpDef } from '../op.js';
import { controlOps } from './control/index.js';
import { kilnOps } from './kiln/index.js';
import { mathOps } from './math/index.js';
import { nnOps } from './nn/index.js';
import { reduceOps } from './reduce/index.js';
import { tensorOps } from './tensor/index.js';

// kilnOps: the fused/recognised ops the graph passes create (domain 'kiln').
export const ALL_OPS: OpDef[] = [...mathOps, ...reduceOps, ...nnOps, ...tensorOps, ...controlOps, ...kilnOps];
