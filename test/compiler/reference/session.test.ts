import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { ReferenceSession } from '../../../compiler/reference/session.js';
import { KilnError } from '../../../runtime/errors.js';
import { Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';

const twoInputs = () =>
  model(
    graph({
      inputs: [value('a', 'float32', ['N', 3]), value('b', 'float32', ['N', 3])],
      outputs: [value('y', 'float32', ['N', 3])],
      nodes: [node('Mul', ['a', 'b'], ['m'], {}, 'mul'), node('Sigmoid', ['m'], ['y'], {}, 'sig')],
    }),
  );

const t = (shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
  tensorFrom(
    dtype,
    shape,
    Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => i / 10),
  );

describe('ReferenceSession', () => {
  it('runs like an InferenceSession and agrees with onnxruntime-node on an exported graph', async () => {
    const m = twoInputs();
    const s = ReferenceSession.create(m);
    expect(s.inputNames).toEqual(['a', 'b']);
    expect(s.outputNames).toEqual(['y']);
    const feeds = { a: t([2, 3]), b: t([2, 3]) };
    const ours = s.run(feeds).y as Tensor;
    const ort = await runOrt(exportModel(m), feeds);
    // onnxruntime's sigmoid is a float32 approximation; ours is float64 rounded once.
    expect(compareTensors(ours, ort.y!, { rtol: 1e-6, atol: 1e-7 })).toBeUndefined();
  });

  it.each([
    [
      'an unknown input name',
      { a: t([1, 3]), b: t([1, 3]), c: t([1]) },
      /unknown input 'c'.*expected: one of a, b/,
    ],
    ['a missing input', { a: t([1, 3]) }, /missing input 'b'.*float32\[N,3\]/],
    [
      'a wrong dtype',
      { a: t([1, 3], 'int32'), b: t([1, 3]) },
      /input 'a' has dtype int32.*expected: float32\[N,3\]/,
    ],
    ['a wrong rank', { a: t([3]), b: t([1, 3]) }, /input 'a' has shape \[3\] \(rank 1\)/],
    ['a wrong static dim', { a: t([1, 4]), b: t([1, 4]) }, /input 'a' has shape \[1,4\].*float32\[N,3\]/],
    [
      'inconsistent symbolic dims',
      { a: t([2, 3]), b: t([5, 3]) },
      /dimension 0 \('N'\) is 5 but another input set 'N' to 2/,
    ],
  ])('rejects %s with a KilnError that says what was expected', (_what, feeds, message) => {
    const s = ReferenceSession.create(twoInputs());
    expect(() => s.run(feeds)).toThrow(KilnError);
    expect(() => s.run(feeds)).toThrow(message);
  });

  it('names the node and op of an unsupported op', () => {
    const m = model(
      graph({
        inputs: [value('x', 'float32', [2])],
        outputs: [value('y', 'float32', [2])],
        nodes: [node('NoSuchOp', ['x'], ['y'], {}, 'weird_node')],
      }),
    );
    const s = ReferenceSession.create(m);
    expect(() => s.run({ x: t([2]) })).toThrow(/node 'weird_node'.*op NoSuchOp.*not supported/);
  });

  it('refuses an invalid graph at creation, naming the problem', () => {
    const m = twoInputs();
    m.graph.nodes.push(node('Relu', ['ghost'], ['z'], {}, 'relu_ghost'));
    expect(() => ReferenceSession.create(m)).toThrow(/relu_ghost.*uses undefined value 'ghost'/s);
  });

  it('keeps int64 exact end to end', () => {
    const m = model(
      graph({
        inputs: [value('x', 'int64', [2])],
        outputs: [value('y', 'int64', [2])],
        initializers: { one: new Tensor('int64', [1], new BigInt64Array([1n])) },
        nodes: [node('Add', ['x', 'one'], ['y'])],
      }),
    );
    const big = 2n ** 62n + 3n;
    const y = ReferenceSession.create(m).run({ x: new Tensor('int64', [2], new BigInt64Array([big, -5n])) })
      .y as Tensor;
    expect(Array.from(y.data as BigInt64Array)).toEqual([big + 1n, -4n]);
  });
});
