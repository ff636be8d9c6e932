/**
 * The graph optimisation passes of the compiler, by name, and the pipeline that runs them in order.
 * Every pass rewrites the model's main graph in place and reports how many rewrites it made; each
 * keeps the model valid (checked after every pass here) and its outputs equal within float rounding.
 */
import { KilnError } from '../../runtime/errors.js';
import type { Model } from '../ir/graph.js';
import { assertValid } from '../ir/verify.js';
import { fuseActivations } from './activation-fusion.js';
import { foldBiasAdds } from './bias-folding.js';
import { foldConstants } from './constant-folding.js';
import { foldConvBatchNorm } from './conv-batchnorm.js';
import { eliminateCommonSubexpressions } from './cse.js';
import { eliminateDeadCode } from './dead-code.js';
import { fuseElementwise } from './elementwise-fusion.js';
import { recognizeGelu } from './gelu-recognition.js';
import { recognizeLayerNorm } from './layernorm-recognition.js';
import { removeNoOps } from './no-ops.js';
import { fuseResidualAdds } from './residual-fusion.js';
import { unrollRecurrent } from './recurrent-unrolling.js';
import { inlineConstantIfs } from './if-inlining.js';
import { unrollLoops } from './loop-unrolling.js';
import { unrollAgain } from './late-unrolling.js';
import { unrollScans } from './scan-unrolling.js';
import { resolveSequences } from './sequence-resolution.js';
import type { Pass, PassResult } from './pass.js';
import { foldShapeComputations } from './shape-folding.js';

export type { Pass, PassResult } from './pass.js';

export const PASSES: Record<string, Pass> = {
  'constant-folding': (m) => foldConstants(m),
  'shape-folding': foldShapeComputations,
  'if-inlining': inlineConstantIfs,
  'loop-unrolling': unrollLoops,
  'scan-unrolling': unrollScans,
  'rnn-unrolling': unrollRecurrent,
  sequences: resolveSequences,
  'late-unrolling': unrollAgain,
  'no-ops': removeNoOps,
  cse: eliminateCommonSubexpressions,
  'dead-code': eliminateDeadCode,
  'conv-batchnorm': foldConvBatchNorm,
  'bias-folding': foldBiasAdds,
  'residual-fusion': fuseResidualAdds,
  layernorm: recognizeLayerNorm,
  gelu: recognizeGelu,
  'activation-fusion': fuseActivations,
  'elementwise-fusion': fuseElementwise,
};

/**
 * Default order: fold constants and shapes so that If conditions, Loop trip counts and sequence
 * positions are known, then unroll control flow, recurrences and sequences into plain ops (the
 * targets lower nothing else) and fold again, since the unrolled bodies' Slice starts, iteration
 * numbers and nested If conditions are constants now, and unroll again while control flow or sequences
 * remain (late-unrolling: trip counts that were sequence lengths, conditions that were
 * OptionalHasElement); then simplify (no-ops, duplicates, dead code) so the patterns
 * see canonical graphs; fold BatchNorm, bias and residual Adds before activations so
 * Conv→BN→Add→Relu ends as one FusedConv; recognise LayerNorm/GELU before the generic elementwise
 * fusion swallows them; a last CSE merges equal weights the folds created (zero biases), so running
 * the pipeline again changes nothing.
 */
export const DEFAULT_PIPELINE = [
  'constant-folding',
  'shape-folding',
  'if-inlining',
  'loop-unrolling',
  'scan-unrolling',
  'rnn-unrolling',
  'sequences',
  'constant-folding',
  'shape-folding',
  'if-inlining',
  'late-unrolling',
  'no-ops',
  'cse',
  'dead-code',
  'conv-batchnorm',
  'bias-folding',
  'residual-fusion',
  'layernorm',
  'gelu',
  'activation-fusion',
  'elementwise-fusion',
  'cse',
  'dead-code',
];

export interface PipelineOptions {
  /** Pass names in order (default DEFAULT_PIPELINE). */
  passes?: string[];
  /** Called after each pass, e.g. to print the IR (printModel) for `--dump-ir`. */
  onPass?: (name: string, model: Model, result: PassResult) => void;
}

/** Run passes on `model` in place; returns each pass's result in order. */
export function runPipeline(
  model: Model,
  options: PipelineOptions = {},
): { name: string; result: PassResult }[] {
  const names = options.passes ?? DEFAULT_PIPELINE;
  for (const name of names) {
    if (!PASSES[name]) {
      throw new KilnError(`unknown pass '${name}'`, { expected: `one of ${Object.keys(PASSES).join(', ')}` });
    }
  }
  const results: { name: string; result: PassResult }[] = [];
  for (const name of names) {
    const result = PASSES[name]!(model);
    assertValid(model);
    results.push({ name, result });
    options.onPass?.(name, model, result);
  }
  return results;
}
