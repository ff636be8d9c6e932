/**
 * The self-test sample stored in every compiled artifact (the wasm and webgpu artifact writers use this):
 * seeded inputs (`randomTensor`, so integer and bool inputs work too; symbolic dims 1) and the
 * outputs of the reference executor, the spec-exact oracle, on them. Compute it from the model as
 * imported, before the pass pipeline rewrites it.
 */
import type { KilnManifest } from '../runtime/artifact/manifest.js';
import { KilnError } from '../runtime/errors.js';
import { randomTensor, seededRandom } from '../runtime/prng.js';
import {
  SELF_TEST_INPUTS,
  SELF_TEST_OUTPUTS,
  SELF_TEST_TOLERANCE,
  packTensors,
} from '../runtime/self-test-sample.js';
import type { Tensor } from '../runtime/tensor.js';
import type { Model } from './ir/graph.js';
import { ReferenceSession } from './reference/session.js';
import { OptionalValue, TensorSequence, isTensor } from './reference/value.js';

export const SELF_TEST_SEED = 0x6b696c6e;

export interface SelfTestSample {
  inputs: Tensor[];
  outputs: Tensor[];
}

export function makeSelfTestSample(
  model: Model,
  seed = SELF_TEST_SEED,
  /** Inputs bound at compile time (`--bind`): the sample feeds their bound values, not random ones. */
  fixed: ReadonlyMap<string, Tensor> = new Map(),
): SelfTestSample {
  const session = ReferenceSession.create(model);
  const rng = seededRandom(seed);
  const feeds: Record<string, Tensor> = {};
  for (const v of session.inputs) {
    if (!v.type?.shape) {
      throw new KilnError(`self-test: input '${v.name}' has no known type or shape`, {
        expected: 'typed inputs with a known rank (or compile with --no-self-test)',
      });
    }
    const dims = v.type.shape.map((d) => (typeof d === 'number' ? d : 1));
    feeds[v.name] = fixed.get(v.name) ?? randomTensor(v.type.dtype, dims, rng);
  }
  const results = session.run(feeds);
  // sequence and optional outputs as the targets flatten them (compiler/structured-io.ts): their tensors in order
  const outputs = session.outputNames.flatMap((name) => {
    const r = results[name];
    const held = r instanceof OptionalValue ? r.value : r;
    if (held === undefined) return [];
    if (held instanceof TensorSequence) return held.items;
    if (!isTensor(held)) {
      throw new KilnError(`self-test: output '${name}' is not a tensor`, {
        expected: 'tensor outputs (or compile with --no-self-test)',
      });
    }
    return [held];
  });
  return { inputs: session.inputNames.map((n) => feeds[n]!), outputs };
}

/**
 * Adds the sample's files to an artifact's files and returns the manifest's `selfTest` field, with the
 * target's tolerance (default: the wasm target's fp32 one).
 */
export function addSelfTestFiles(
  files: Map<string, Uint8Array>,
  sample: SelfTestSample,
  tolerance: { rtol: number; atol: number } = SELF_TEST_TOLERANCE,
): NonNullable<KilnManifest['selfTest']> {
  files.set(SELF_TEST_INPUTS, packTensors(sample.inputs));
  files.set(SELF_TEST_OUTPUTS, packTensors(sample.outputs));
  return { inputs: SELF_TEST_INPUTS, outputs: SELF_TEST_OUTPUTS, rtol: tolerance.rtol, atol: tolerance.atol };
}
