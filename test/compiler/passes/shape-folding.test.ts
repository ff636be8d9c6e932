import { describe, expect, it } from 'vitest';
import { foldShapeComputations } from '../../../compiler/passes/shape-folding.js';
import { tensorFrom, toNumbers } from '../../../runtime/tensor.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

/** x[2,3,4] → Reshape(x, Concat(Gather(Shape(x), 0), [-1])) as exporters write flatten(1). */
const make = (batch: number | string = 2) =>
  model(
    graph({
      inputs: [value('x', 'float32', [batch, 3, 4])],
      outputs: [value('y', 'float32')],
      initializers: { i0: tensorFrom('int64', [], [0]), minus1: tensorFrom('int64', [1], [-1]) },
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'i0'], ['n'], { axis: int(0) }),
        node('Unsqueeze', ['n'], ['n1'], { axes: ints([0]) }),
        node('Concat', ['n1', 'minus1'], ['shape'], { axis: int(0) }),
        node('Reshape', ['x', 'shape'], ['y']),
      ],
    }),
    11,
  );

describe('static shape-computation folding', () => {
  it('turns a Shape → Gather → Unsqueeze → Concat chain of a static shape into a constant', () => {
    const { model: m, result } = applyAndCompare(() => make(), foldShapeComputations, {
      x: randomFloat32([2, 3, 4], 1),
    });
    expect(ops(m)).toEqual(['Reshape']);
    expect(result.changed).toBe(4);
    expect(toNumbers(m.graph.initializers.get('shape')!)).toEqual([2, -1]);
  });

  it('leaves the chain when the batch dim is symbolic', () => {
    const { model: m, result } = applyAndCompare(() => make('N'), foldShapeComputations, {
      x: randomFloat32([5, 3, 4], 2),
    });
    expect(ops(m)).toEqual(['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape']);
    expect(result.changed).toBe(0);
  });
});
