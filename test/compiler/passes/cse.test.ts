import { describe, expect, it } from 'vitest';
import { eliminateCommonSubexpressions } from '../../../compiler/passes/cse.js';
import { eliminateDeadCode } from '../../../compiler/passes/dead-code.js';
import type { Model } from '../../../compiler/ir/graph.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, int, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

const feeds = { x: randomFloat32([2, 3], 1) };

describe('common-subexpression elimination', () => {
  it('merges equal nodes and equal small initializers, chains included', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3])],
          outputs: [value('y', 'float32')],
          initializers: { c1: tensorFrom('float32', [], [2]), c2: tensorFrom('float32', [], [2]) },
          nodes: [
            node('Mul', ['x', 'c1'], ['a1']),
            node('Mul', ['x', 'c2'], ['a2']),
            node('Softmax', ['a1'], ['s1'], { axis: int(1) }),
            node('Softmax', ['a2'], ['s2'], { axis: int(1) }),
            node('Softmax', ['a2'], ['s3'], { axis: int(0) }),
            node('Add', ['s1', 's2'], ['t']),
            node('Add', ['t', 's3'], ['y']),
          ],
        }),
      );
    const { model: m, result } = applyAndCompare(make, eliminateCommonSubexpressions, feeds);
    expect(ops(m)).toEqual(['Mul', 'Softmax', 'Softmax', 'Add', 'Add']);
    expect(m.graph.nodes[3]!.inputs).toEqual(['s1', 's1']);
    expect(result.changed).toBe(3); // c2, a2, s2
  });

  it('merges into a node writing a graph output, keeping it', () => {
    const make = (): Model =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3])],
          outputs: [value('y', 'float32'), value('z', 'float32')],
          nodes: [node('Exp', ['x'], ['y']), node('Exp', ['x'], ['e']), node('Neg', ['e'], ['z'])],
        }),
      );
    const { model: m, result } = applyAndCompare(make, eliminateCommonSubexpressions, feeds);
    expect(ops(m)).toEqual(['Exp', 'Neg']);
    expect(m.graph.nodes[1]!.inputs).toEqual(['y']);
    expect(result.changed).toBe(1);
  });

  it('keeps a duplicate whose output is a graph output, and distinguishes -0 from 0', () => {
    const make = (): Model =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3])],
          outputs: [value('y', 'float32'), value('z', 'float32'), value('w', 'float32')],
          initializers: { pz: tensorFrom('float32', [], [0]), nz: tensorFrom('float32', [], [-0]) },
          nodes: [
            node('Exp', ['x'], ['y']),
            node('Exp', ['x'], ['z']),
            node('Div', ['x', 'pz'], ['d1']),
            node('Div', ['x', 'nz'], ['d2']),
            node('Sub', ['d1', 'd2'], ['w']),
          ],
        }),
      );
    const pass = (m: Model) => {
      const r = eliminateCommonSubexpressions(m);
      eliminateDeadCode(m);
      return r;
    };
    const { model: m, result } = applyAndCompare(make, pass, feeds);
    expect(ops(m)).toEqual(['Exp', 'Exp', 'Div', 'Div', 'Sub']);
    expect(result.changed).toBe(0);
  });
});
