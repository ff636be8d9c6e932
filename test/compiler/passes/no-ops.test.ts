import { describe, expect, it } from 'vitest';
import type { Model } from '../../../compiler/ir/graph.js';
import { eliminateDeadCode } from '../../../compiler/passes/dead-code.js';
import { removeNoOps } from '../../../compiler/passes/no-ops.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

const x = randomFloat32([2, 3, 4], 1);

describe('no-op removal', () => {
  it('removes Identity, Dropout, same-shape Reshape/Squeeze/Expand, same-dtype Cast and zero Pad', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3, 4])],
          outputs: [value('y', 'float32', [2, 3, 4])],
          initializers: {
            shape: tensorFrom('int64', [3], [2, 3, 4]),
            expandTo: tensorFrom('int64', [1], [4]),
            pads: tensorFrom('int64', [6], [0, 0, 0, 0, 0, 0]),
            ratio: tensorFrom('float32', [], [0.5]),
          },
          nodes: [
            node('Identity', ['x'], ['a']),
            node('Dropout', ['a', 'ratio'], ['b']),
            node('Reshape', ['b', 'shape'], ['c']),
            node('Exp', ['c'], ['d']),
            node('Cast', ['d'], ['e'], { to: int(1) }),
            node('Expand', ['e', 'expandTo'], ['f']),
            node('Pad', ['f', 'pads'], ['g']),
            node('Unsqueeze', ['g'], ['h'], { axes: ints([0]) }),
            node('Squeeze', ['h'], ['y'], { axes: ints([0]) }),
          ],
        }),
        11,
      );
    const { model: m, result } = applyAndCompare(make, removeNoOps, { x });
    // Unsqueeze → Squeeze changes shapes on the way, so both stay.
    expect(ops(m)).toEqual(['Exp', 'Unsqueeze', 'Squeeze']);
    expect(m.graph.nodes[0]!.inputs).toEqual(['x']);
    expect(result.changed).toBe(6);
  });

  it('keeps graph output names: the producer is renamed, or the node stays when the input is a graph input', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3, 4])],
          outputs: [value('y', 'float32', [2, 3, 4]), value('z', 'float32', [2, 3, 4])],
          nodes: [node('Relu', ['x'], ['r']), node('Identity', ['r'], ['y']), node('Identity', ['x'], ['z'])],
        }),
      );
    const { model: m } = applyAndCompare(make, removeNoOps, { x });
    expect(ops(m)).toEqual(['Relu', 'Identity']);
    expect(m.graph.nodes[0]!.outputs).toEqual(['y']);
    expect(m.graph.outputs.map((o) => o.name)).toEqual(['y', 'z']);
  });

  it('merges consecutive Transposes and drops pairs that cancel', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3, 4])],
          outputs: [value('y', 'float32'), value('z', 'float32')],
          nodes: [
            node('Transpose', ['x'], ['t1'], { perm: ints([1, 2, 0]) }),
            node('Transpose', ['t1'], ['t2'], { perm: ints([2, 0, 1]) }),
            node('Neg', ['t2'], ['y']),
            node('Transpose', ['x'], ['u1'], { perm: ints([1, 0, 2]) }),
            node('Transpose', ['u1'], ['u2']),
            node('Neg', ['u2'], ['z']),
          ],
        }),
      );
    // The first Transposes of each pair are left dead for dead-code elimination.
    const pass = (m: Model) => {
      const r = removeNoOps(m);
      eliminateDeadCode(m);
      return r;
    };
    const { model: m, result } = applyAndCompare(make, pass, { x });
    expect(result.changed).toBe(3); // two merges, one identity removed
    const transposes = m.graph.nodes.filter((n) => n.op === 'Transpose');
    expect(ops(m).filter((o) => o === 'Neg')).toHaveLength(2);
    // [1,2,0] then [2,0,1] cancel; [1,0,2] then the default reverse [2,1,0] is [2,0,1] of x.
    expect(transposes).toHaveLength(1);
    expect(transposes[0]!.inputs).toEqual(['x']);
    expect(transposes[0]!.attrs.perm).toEqual({ type: 'ints', value: [2, 0, 1] });
    expect(m.graph.nodes.find((n) => n.outputs[0] === 'y')!.inputs).toEqual(['x']);
  });

  it('keeps a Dropout in training mode and a Dropout whose mask is used', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3, 4])],
          outputs: [value('y', 'float32'), value('mask', 'bool')],
          initializers: { train: tensorFrom('bool', [], [0]) },
          nodes: [node('Dropout', ['x', '', 'train'], ['y', 'mask'])],
        }),
      );
    const { model: m, result } = applyAndCompare(make, removeNoOps, { x });
    expect(ops(m)).toEqual(['Dropout']);
    expect(result.changed).toBe(0);
  });

  it('rewires reads from inside subgraphs and removes a same-shape Flatten', () => {
    const body = (name: string, op: string) =>
      graph({
        name,
        inputs: [],
        outputs: [value(`${name}_out`, 'float32')],
        nodes: [node(op, ['f'], [`${name}_out`])],
      });
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3]), value('c', 'bool', [])],
          outputs: [value('y', 'float32')],
          nodes: [
            node('Exp', ['x'], ['e']),
            node('Identity', ['e'], ['i']),
            node('Flatten', ['i'], ['f']),
            node('If', ['c'], ['y'], {
              then_branch: { type: 'graph', value: body('then', 'Neg') },
              else_branch: { type: 'graph', value: body('else', 'Abs') },
            }),
          ],
        }),
      );
    const feeds = { x: randomFloat32([2, 3], 5), c: tensorFrom('bool', [], [1]) };
    const { model: m, result } = applyAndCompare(make, removeNoOps, feeds);
    expect(ops(m)).toEqual(['Exp', 'If']);
    const then = m.graph.nodes[1]!.attrs.then_branch!.value as { nodes: { inputs: string[] }[] };
    expect(then.nodes[0]!.inputs).toEqual(['e']);
    expect(result.changed).toBe(2);
  });
});
