import { describe, expect, it } from 'vitest';
import { controlOps } from '../../../../../compiler/reference/ops/control/index.js';
import { OptionalValue, TensorSequence, type Value } from '../../../../../compiler/reference/value.js';
import { KilnError } from '../../../../../runtime/errors.js';
import { Tensor, tensorFrom } from '../../../../../runtime/tensor.js';
import { f32, graph, graphAttr, makeNode } from './helpers.js';

/** Inputs of the wrong kind, rank or type: each op must answer with a KilnError, never a TypeError. */
const BAD: (Value | undefined)[][] = [
  [],
  [undefined, undefined, undefined],
  [f32([2], [1, 2]), f32([2], [1, 2]), f32([2], [1, 2])],
  [new TensorSequence('float32', []), new OptionalValue(undefined), new Tensor('string', [1], ['a'])],
  [new OptionalValue(undefined), f32([], [1])],
  [tensorFrom('bool', [], [1]), f32([1, 1, 1], [1]), f32([1, 1, 1], [1])],
  [f32([1, 1, 1], [1]), f32([1, 2, 1], [1, 1]), f32([1, 1, 1], [1])],
];

describe('control ops reject bad inputs with KilnError', () => {
  const empty = graph('empty', [], [], []);
  for (const def of controlOps) {
    it(def.op, () => {
      for (const inputs of BAD) {
        const node = makeNode(
          def.op,
          inputs.map((_, i) => `in${i}`),
          ['o0', 'o1', 'o2'],
          {
            body: graphAttr(empty),
            then_branch: graphAttr(empty),
            else_branch: graphAttr(empty),
          },
        );
        const ctx = { node, opset: 15, runSubgraph: () => [] };
        try {
          if (def.runValues) def.runValues(inputs, ctx);
          else def.run!(inputs as never, ctx);
        } catch (err) {
          expect(err, `${def.op} with ${inputs.length} inputs: ${String(err)}`).toBeInstanceOf(KilnError);
        }
      }
    });
  }
});
