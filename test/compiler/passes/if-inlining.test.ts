import { describe, expect, it } from 'vitest';
import type { Attribute, Graph, Model } from '../../../compiler/ir/graph.js';
import { inlineConstantIfs } from '../../../compiler/passes/if-inlining.js';
import { notUnrolledReason } from '../../../compiler/passes/not-unrolled.js';
import { scalar, tensorFrom } from '../../../runtime/tensor.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

const sub = (g: Graph): Attribute => ({ type: 'graph', value: g });

/**
 * y = If(cond) then (x + k, computed in a nested If that reads the branch's own value) else x·2;
 * z = If(cond) then x (an outer value as the branch output) else k.
 */
function ifModel(cond: boolean | 'fed'): Model {
  const thenBranch = graph({
    name: 'then',
    inputs: [],
    outputs: [value('t_out', 'float32')],
    nodes: [
      node('Add', ['x', 'k'], ['t_sum']),
      node('If', ['inner_cond'], ['t_out'], {
        then_branch: sub(
          graph({
            name: 'inner_then',
            inputs: [],
            outputs: [value('it', 'float32')],
            nodes: [node('Identity', ['t_sum'], ['it'])],
          }),
        ),
        else_branch: sub(
          graph({
            name: 'inner_else',
            inputs: [],
            outputs: [value('ie', 'float32')],
            nodes: [node('Neg', ['t_sum'], ['ie'])],
          }),
        ),
      }),
    ],
  });
  const elseBranch = graph({
    name: 'else',
    inputs: [],
    outputs: [value('e_out', 'float32')],
    nodes: [node('Mul', ['x', 'two'], ['e_out'])],
    initializers: { two: scalar('float32', 2) },
  });
  const pass = (name: string, out: string) =>
    graph({
      name,
      inputs: [],
      outputs: [value(out, 'float32')],
      nodes: [node('Identity', [out === 'px' ? 'x' : 'k'], [out])],
    });
  return model(
    graph({
      inputs: [value('x', 'float32', [2, 3]), ...(cond === 'fed' ? [value('cond', 'bool', [])] : [])],
      outputs: [value('y', 'float32'), value('z', 'float32')],
      initializers: {
        k: randomFloat32([2, 3], 9),
        inner_cond: scalar('bool', true),
        ...(cond === 'fed' ? {} : { cond: tensorFrom('bool', [], [cond]) }),
      },
      nodes: [
        node('If', ['cond'], ['y'], { then_branch: sub(thenBranch), else_branch: sub(elseBranch) }),
        node('If', ['cond'], ['z'], {
          then_branch: sub(pass('p1', 'px')),
          else_branch: sub(pass('p2', 'pk')),
        }),
      ],
    }),
    13,
  );
}

const feeds = { x: randomFloat32([2, 3], 1) };

describe('If inlining', () => {
  it.each([true, false])('inlines the branch a constant condition (%s) takes', (cond) => {
    const { model: m, result } = applyAndCompare(() => ifModel(cond), inlineConstantIfs, feeds);
    expect(result.changed).toBe(2);
    // the nested If stays (its condition is a constant of the main graph now, inlined on a next run)
    if (cond) expect(ops(m)).toEqual(['Add', 'If', 'Identity', 'Identity', 'Identity']);
    else expect(ops(m)).toEqual(['Mul', 'Identity', 'Identity', 'Identity']);
    const again = inlineConstantIfs(m);
    expect(again.changed).toBe(cond ? 1 : 0);
    expect(ops(m)).not.toContain('If');
  });

  it('keeps the copied nested If reading the renamed branch value', () => {
    const m = ifModel(true);
    inlineConstantIfs(m);
    const nested = m.graph.nodes.find((n) => n.op === 'If')!;
    const add = m.graph.nodes.find((n) => n.op === 'Add')!;
    const thenG = nested.attrs.then_branch as { value: Graph };
    expect(thenG.value.nodes[0]!.inputs).toEqual([add.outputs[0]]);
  });

  it('leaves an If decided at run time, saying why', () => {
    const m = ifModel('fed');
    expect(inlineConstantIfs(m).changed).toBe(0);
    expect(notUnrolledReason(m.graph.nodes[0]!)).toMatch(/condition is computed at run time/);
  });
});
