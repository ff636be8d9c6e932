import type { OpDef } from '../../op.js';
import { elementwiseOps } from './elementwise.js';
import { fusedOps } from './fused.js';
import { kilnNormalizationOps } from './normalization.js';

/** Ops of the 'kiln' domain: what the graph passes (compiler/passes) produce. */
export const kilnOps: OpDef[] = [...fusedOps, ...elementwiseOps, ...kilnNormalizationOps];
