import { describe, expect, it } from 'vitest';
import { foldBiasAdds } from '../../../compiler/passes/bias-folding.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

describe('bias folding', () => {
  it('folds a per-channel Add and a per-channel Mul into the Conv', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [1, 2, 5, 5])],
          outputs: [value('y', 'float32')],
          initializers: {
            w: randomFloat32([3, 2, 3, 3], 2),
            b: randomFloat32([3], 3),
            s: randomFloat32([3, 1, 1], 4),
            a: randomFloat32([1, 3, 1, 1], 5),
          },
          nodes: [
            node('Conv', ['x', 'w', 'b'], ['c']),
            node('Mul', ['s', 'c'], ['m']),
            node('Add', ['m', 'a'], ['y']),
          ],
        }),
      );
    const { model: m, result } = applyAndCompare(make, foldBiasAdds, { x: randomFloat32([1, 2, 5, 5], 1) });
    expect(ops(m)).toEqual(['Conv']);
    expect(m.graph.nodes[0]!.outputs).toEqual(['y']);
    expect(result.changed).toBe(2);
  });

  it('leaves an Add whose constant varies over space', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [1, 2, 5, 5])],
          outputs: [value('y', 'float32')],
          initializers: { w: randomFloat32([3, 2, 3, 3], 2), a: randomFloat32([3, 3, 3], 5) },
          nodes: [node('Conv', ['x', 'w'], ['c']), node('Add', ['c', 'a'], ['y'])],
        }),
      );
    const { model: m } = applyAndCompare(make, foldBiasAdds, { x: randomFloat32([1, 2, 5, 5], 1) });
    expect(ops(m)).toEqual(['Conv', 'Add']);
  });

  it('turns 2-D MatMul + Add into Gemm, and folds into an existing Gemm C with beta', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [4, 6])],
          outputs: [value('y', 'float32'), value('z', 'float32')],
          initializers: {
            w: randomFloat32([6, 5], 2),
            b: randomFloat32([5], 3),
            c: randomFloat32([1, 5], 4),
            d: randomFloat32([4, 1], 5),
          },
          nodes: [
            node('MatMul', ['x', 'w'], ['p']),
            node('Add', ['b', 'p'], ['y']),
            node('Gemm', ['x', 'w', 'c'], ['q'], { beta: { type: 'float', value: 0.5 } }),
            node('Add', ['q', 'd'], ['z']),
          ],
        }),
      );
    const { model: m, result } = applyAndCompare(make, foldBiasAdds, { x: randomFloat32([4, 6], 1) });
    expect(ops(m)).toEqual(['Gemm', 'Gemm']);
    expect(m.graph.initializers.get(m.graph.nodes[1]!.inputs[2]!)!.shape).toEqual([4, 5]);
    expect(m.graph.nodes[1]!.attrs.beta).toEqual({ type: 'float', value: 1 });
    expect(result.changed).toBe(2);
  });

  it('turns a batched MatMul + Add into kiln.FusedMatMul with a bias input', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3, 6])],
          outputs: [value('y', 'float32')],
          initializers: { w: randomFloat32([6, 5], 2), b: randomFloat32([5], 3) },
          nodes: [node('MatMul', ['x', 'w'], ['p']), node('Add', ['p', 'b'], ['y'])],
        }),
      );
    const { model: m } = applyAndCompare(make, foldBiasAdds, { x: randomFloat32([2, 3, 6], 1) });
    expect(ops(m)).toEqual(['kiln.FusedMatMul']);
    expect(m.opsetImports.get('kiln')).toBe(1);
  });
});
