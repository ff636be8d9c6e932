import { describe, expect, it } from 'vitest';
import type { Model } from '../../../compiler/ir/graph.js';
import { fuseActivations } from '../../../compiler/passes/activation-fusion.js';
import { fuseResidualAdds } from '../../../compiler/passes/residual-fusion.js';
import { graph, ints, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

/** A ResNet basic block tail: relu(conv(x) + skip), the skip computed after the conv in file order. */
const block = (skipShape: number[]) => () =>
  model(
    graph({
      inputs: [value('x', 'float32', [1, 4, 6, 6]), value('s', 'float32', skipShape)],
      outputs: [value('y', 'float32')],
      initializers: { w: randomFloat32([4, 4, 3, 3], 2), b: randomFloat32([4], 3) },
      nodes: [
        node('Conv', ['x', 'w', 'b'], ['c'], { pads: ints([1, 1, 1, 1]) }),
        node('Neg', ['s'], ['skip']),
        node('Add', ['skip', 'c'], ['a']),
        node('Relu', ['a'], ['y']),
      ],
    }),
  );

const both = (m: Model) => {
  const r = fuseResidualAdds(m);
  fuseActivations(m);
  return r;
};

describe('residual fusion', () => {
  it('folds the residual Add into the Conv (then the Relu fuses too)', () => {
    const feeds = { x: randomFloat32([1, 4, 6, 6], 1), s: randomFloat32([1, 4, 6, 6], 4) };
    const { model: m, result } = applyAndCompare(block([1, 4, 6, 6]), both, feeds);
    expect(ops(m)).toEqual(['Neg', 'kiln.FusedConv']);
    const fused = m.graph.nodes[1]!;
    expect(fused.inputs).toEqual(['x', 'w', 'b', 'skip']);
    expect(fused.attrs.activation).toEqual({ type: 'string', value: 'relu' });
    expect(result.changed).toBe(1);
  });

  it('leaves an Add that broadcasts the other operand', () => {
    const feeds = { x: randomFloat32([1, 4, 6, 6], 1), s: randomFloat32([1, 4, 1, 1], 4) };
    const { model: m, result } = applyAndCompare(block([1, 4, 1, 1]), fuseResidualAdds, feeds);
    expect(ops(m)).toEqual(['Conv', 'Neg', 'Add', 'Relu']);
    expect(result.changed).toBe(0);
  });
});
