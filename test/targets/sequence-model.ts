/** A model with sequence and optional graph inputs and outputs, its sample values and reference outputs. */
import { expect } from 'vitest';
import { compareValues } from '../../compiler/conformance/compare.js';
import type { Model } from '../../compiler/ir/graph.js';
import { GraphExecutor } from '../../compiler/reference/executor.js';
import { OptionalValue, TensorSequence, type Value } from '../../compiler/reference/value.js';
import { type InputSignature, signatureOf } from '../../compiler/structured-io.js';
import type { InferenceSession, OutputValue } from '../../runtime/inference-session.js';
import type { Tensor as OrtTensor } from '../../runtime/ort-tensor.js';
import { Tensor, tensorFrom } from '../../runtime/tensor.js';
import { fromKilnTensor, toKilnTensor } from '../../runtime/tensor-interop.js';
import { graph, model, node, value } from '../helpers/build.js';
import { randomFloat32 } from '../helpers/random.js';

/**
 * seq (a sequence input) → out = seq with t inserted at the front, each element + 1 (SequenceMap),
 * first = its element 0 · 2; opt (an optional tensor input) → has = OptionalHasElement(opt),
 * echo = Optional(OptionalGetElement(opt) + 1).
 */
export function seqModel(): Model {
  const plusOne = graph({
    inputs: [value('e', 'float32', ['n'])],
    outputs: [value('e1', 'float32', ['n'])],
    nodes: [node('Add', ['e', 'one_b'], ['e1'])],
    initializers: { one_b: new Tensor('float32', [], new Float32Array([1])) },
  });
  return model(
    graph({
      inputs: [
        { name: 'seq', kind: 'sequence' },
        value('t', 'float32', [3]),
        { name: 'opt', kind: 'optional' },
      ],
      outputs: [
        { name: 'out', kind: 'sequence' },
        value('first', 'float32'),
        value('has', 'bool'),
        { name: 'echo', kind: 'optional' },
      ],
      nodes: [
        node('SequenceInsert', ['seq', 't', 'zero'], ['s1']),
        node('SequenceMap', ['s1'], ['out'], { body: { type: 'graph', value: plusOne } }),
        node('SequenceAt', ['out', 'zero'], ['e0']),
        node('Mul', ['e0', 'two'], ['first']),
        node('OptionalHasElement', ['opt'], ['has']),
        node('OptionalGetElement', ['opt'], ['got']),
        node('Add', ['got', 'two'], ['got2']),
        node('Optional', ['got2'], ['echo']),
      ],
      initializers: {
        zero: tensorFrom('int64', [], [0]),
        two: new Tensor('float32', [], new Float32Array([2])),
      },
    }),
    18,
  );
}

export const seqValue = new TensorSequence('float32', [randomFloat32([3], 1), randomFloat32([5], 2)]);
export const tValue = randomFloat32([3], 3);
export const optValue = new OptionalValue(randomFloat32([2, 2], 4));

export function reference(feeds: Map<string, Value>): Map<string, Value> {
  const m = seqModel();
  return GraphExecutor.forModel(m).run(m.graph, feeds);
}

export const signatures = () =>
  new Map<string, InputSignature>([
    ['seq', signatureOf(seqValue)],
    ['opt', signatureOf(optValue)],
  ]);

/**
 * Run the sample (seqValue, tValue, optValue) through a session of the compiled model — the sequence
 * as an array of tensors, the optional as its value — and check every output against the reference
 * executor; the outputs are returned for further checks.
 */
export async function expectSampleMatchesReference(
  session: InferenceSession,
): Promise<Record<string, OutputValue>> {
  const got = await session.run<Record<string, OutputValue>>({
    seq: seqValue.items.map(fromKilnTensor),
    t: fromKilnTensor(tValue),
    opt: fromKilnTensor(optValue.value as Tensor),
  });
  const want = reference(
    new Map<string, Value>([
      ['seq', seqValue],
      ['t', tValue],
      ['opt', optValue],
    ]),
  );
  expect(Array.isArray(got.out)).toBe(true);
  const out = new TensorSequence(
    'float32',
    (got.out as OrtTensor[]).map((t) => toKilnTensor(t, 'out')),
  );
  expect(compareValues(out, want.get('out')!)).toBeUndefined();
  for (const name of ['first', 'has', 'echo'])
    expect(compareValues(toKilnTensor(got[name], name), want.get(name)!), name).toBeUndefined();
  return got;
}
