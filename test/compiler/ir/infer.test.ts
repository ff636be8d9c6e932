import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../../compiler/ir/infer.js';
import { KilnError } from '../../../runtime/errors.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';

describe('shape inference', () => {
  it('keeps a symbolic batch dim through conv, relu, flatten and gemm', () => {
    const m = model(
      graph({
        inputs: [value('x', 'float32', ['N', 3, 32, 32])],
        outputs: [value('y', 'float32')],
        initializers: {
          w: tensorFrom('float32', [8, 3, 3, 3], new Array(8 * 27).fill(0.1)),
          fw: tensorFrom('float32', [10, 8 * 16 * 16], new Array(10 * 8 * 256).fill(0)),
        },
        nodes: [
          node('Conv', ['x', 'w'], ['c'], { pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }),
          node('Relu', ['c'], ['r']),
          node('Flatten', ['r'], ['f'], { axis: int(1) }),
          node('Gemm', ['f', 'fw'], ['y'], { transB: int(1) }),
        ],
      }),
    );
    const r = inferShapes(m);
    expect(r.types.get('c')).toEqual({ dtype: 'float32', shape: ['N', 8, 16, 16] });
    expect(r.types.get('r')?.shape).toEqual(['N', 8, 16, 16]);
    expect(r.types.get('f')?.shape).toEqual(['N', 2048]);
    expect(r.types.get('y')).toEqual({ dtype: 'float32', shape: ['N', 10] });
    expect(m.graph.outputs[0]!.type?.shape).toEqual(['N', 10]);
    expect(m.graph.valueInfo.get('c')?.type?.shape).toEqual(['N', 8, 16, 16]);
  });

  it('folds a Shape -> Gather -> Concat -> Reshape chain into an exact shape', () => {
    const m = model(
      graph({
        inputs: [value('x', 'float32', [2, 3, 4])],
        outputs: [value('y', 'float32')],
        initializers: {
          i0: tensorFrom('int64', [1], [0]),
          m1: tensorFrom('int64', [1], [-1]),
        },
        nodes: [
          node('Shape', ['x'], ['s']),
          node('Gather', ['s', 'i0'], ['b'], { axis: int(0) }),
          node('Concat', ['b', 'm1'], ['shape'], { axis: int(0) }),
          node('Reshape', ['x', 'shape'], ['y']),
        ],
      }),
    );
    const r = inferShapes(m);
    expect(Array.from(r.constants.get('shape')!.data as BigInt64Array)).toEqual([2n, -1n]);
    expect(r.types.get('y')?.shape).toEqual([2, 12]);
  });

  it('broadcasts symbolic dims and reports mismatched static ones with the node name', () => {
    const ok = model(
      graph({
        inputs: [value('a', 'float32', ['N', 1, 4]), value('b', 'float32', [3, 1])],
        outputs: [value('c', 'float32')],
        nodes: [node('Add', ['a', 'b'], ['c'], {}, 'add1')],
      }),
    );
    expect(inferShapes(ok).types.get('c')?.shape).toEqual(['N', 3, 4]);
    const bad = model(
      graph({
        inputs: [value('a', 'float32', [2, 4]), value('b', 'float32', [3, 4])],
        outputs: [value('c', 'float32')],
        nodes: [node('Add', ['a', 'b'], ['c'], {}, 'add_bad')],
      }),
    );
    expect(() => inferShapes(bad)).toThrow(KilnError);
    expect(() => inferShapes(bad)).toThrow(/add_bad/);
  });

  it('marks ops without an implementation as unsupported and keeps declared types', () => {
    const m = model(
      graph({
        inputs: [value('x', 'float32', [4])],
        outputs: [value('y', 'float32', [4])],
        nodes: [{ ...node('FancyOp', ['x'], ['y']), domain: 'com.example' }],
      }),
    );
    const r = inferShapes(m);
    expect([...r.unsupported]).toEqual(['com.example.FancyOp']);
    expect(r.types.get('y')?.shape).toEqual([4]);
  });
});
