/** Bad inputs to any tensor op must raise KilnError (never a TypeError or RangeError from our code). */
import { describe, expect, it } from 'vitest';
import { tensorOps } from '../../../../../compiler/reference/ops/tensor/index.js';
import { KilnError } from '../../../../../runtime/errors.js';
import { Tensor } from '../../../../../runtime/tensor.js';
import { f32, i64, makeNode, t } from './helpers.js';

const BAD_INPUTS: (Tensor | undefined)[][] = [
  [],
  [f32([], [1])],
  [f32([2, 2], [1, 2, 3, 4]), f32([2], [1, 2])],
  [f32([2, 2], [1, 2, 3, 4]), i64([5, 7, 9])],
  [f32([2, 2], [1, 2, 3, 4]), i64([-9]), i64([9]), i64([3]), i64([0])],
  [new Tensor('string', [1], ['a']), i64([1]), new Tensor('string', [1], ['b'])],
  [f32([2, 2], [1, 2, 3, 4]), t('bool', [1], [1]), f32([1], [1])],
  [undefined, i64([1])],
  [f32([0, 3], []), i64([0]), i64([2]), i64([1])],
  [f32([2, 3], [1, 2, 3, 4, 5, 6]), i64([1, 1, 1, 1, 1, 1]), f32([6], [1, 1, 1, 1, 1, 1])],
  [f32([1, 2, 3], [1, 2, 3, 4, 5, 6]), i64([0, 0, 0], [1, 3]), f32([1], [0])],
];

function expectKilnOrOk(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(KilnError);
  }
}

describe('tensor ops reject bad inputs with KilnError', () => {
  for (const def of tensorOps) {
    it(def.op, () => {
      for (const inputs of BAD_INPUTS) {
        for (const opset of [def.versions[0], def.versions[1]]) {
          const node = makeNode(def.op, {}, inputs.length, 2);
          const ctx = { node, opset, runSubgraph: () => [] };
          if (def.runValues) expectKilnOrOk(() => def.runValues!(inputs, ctx));
          else expectKilnOrOk(() => def.run!(inputs, ctx));
          const types = inputs.map((x) => (x ? { dtype: x.dtype, shape: [...x.shape] } : undefined));
          let n = 0;
          expectKilnOrOk(() =>
            def.infer({
              node,
              opset,
              inputs: types,
              constants: inputs,
              freshDim: () => `u${n++}`,
              inferSubgraph: () => [],
            }),
          );
        }
      }
    });
  }
});
