import { describe, expect, it } from 'vitest';
import { eliminateDeadCode } from '../../../compiler/passes/dead-code.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

const make = () =>
  model(
    graph({
      inputs: [value('x', 'float32', [2, 3])],
      outputs: [value('y', 'float32', [2, 3])],
      initializers: {
        used: tensorFrom('float32', [3], [1, 2, 3]),
        unused: tensorFrom('float32', [3], [4, 5, 6]),
        deadOnly: tensorFrom('float32', [3], [7, 8, 9]),
      },
      nodes: [
        node('Add', ['x', 'used'], ['y']),
        node('Mul', ['x', 'deadOnly'], ['dead1']),
        node('Exp', ['dead1'], ['dead2']),
      ],
    }),
  );

describe('dead-code elimination', () => {
  it('removes nodes that reach no output and the initializers only they read', () => {
    const { model: m, result } = applyAndCompare(make, eliminateDeadCode, { x: randomFloat32([2, 3], 1) });
    expect(ops(m)).toEqual(['Add']);
    expect([...m.graph.initializers.keys()]).toEqual(['used']);
    expect(result.changed).toBe(4);
  });

  it('keeps a node whose output is read only inside a subgraph, and initializers that are graph inputs', () => {
    const body: Graph = graph({
      name: 'then',
      inputs: [],
      outputs: [value('t', 'float32')],
      nodes: [node('Identity', ['captured'], ['t'])],
    });
    const elseBody: Graph = graph({
      name: 'else',
      inputs: [],
      outputs: [value('e', 'float32')],
      nodes: [node('Neg', ['x'], ['e'])],
    });
    const makeIf = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2]), value('c', 'bool', []), value('opt', 'float32', [2])],
          outputs: [value('y', 'float32')],
          initializers: { opt: tensorFrom('float32', [2], [0, 0]) },
          nodes: [
            node('Exp', ['x'], ['captured']),
            node('If', ['c'], ['y'], {
              then_branch: { type: 'graph', value: structuredCloneGraph(body) },
              else_branch: { type: 'graph', value: structuredCloneGraph(elseBody) },
            }),
          ],
        }),
      );
    const feeds = { x: randomFloat32([2], 2), c: tensorFrom('bool', [], [1]) };
    const { model: m, result } = applyAndCompare(makeIf, eliminateDeadCode, feeds);
    expect(ops(m)).toEqual(['Exp', 'If']);
    expect(m.graph.initializers.has('opt')).toBe(true);
    expect(result.changed).toBe(0);
  });
});

function structuredCloneGraph(g: Graph): Graph {
  return { ...g, nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] })) };
}
