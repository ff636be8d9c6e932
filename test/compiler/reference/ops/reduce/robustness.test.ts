import { describe, expect, it } from 'vitest';
import type { TypeInfo } from '../../../../../compiler/ir/graph.js';
import { reduceOps } from '../../../../../compiler/reference/ops/reduce/index.js';
import { KilnError } from '../../../../../runtime/errors.js';
import { Tensor, tensorFrom } from '../../../../../runtime/tensor.js';
import { infer, run } from './helpers.js';

/** Either a result or a KilnError: never a TypeError from unguarded input. */
function kilnOrOk(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(KilnError);
  }
}

describe('every reduce-group op fails cleanly on bad input', () => {
  const ops = reduceOps.map((d) => d.op);
  const bad: (Tensor | undefined)[][] = [
    [],
    [tensorFrom('float32', [], [1])],
    [new Tensor('string', [2], ['a', 'b']), new Tensor('string', [1], ['c'])],
    [
      tensorFrom('float32', [2, 2], [1, 2, 3, 4]),
      tensorFrom('float32', [3], [7, 8, 9]),
      tensorFrom('float32', [1], [0]),
    ],
    [tensorFrom('int64', [0], []), undefined, undefined, undefined, undefined],
    // int64 (bigint storage) everywhere, to catch number/bigint mixing
    [
      tensorFrom('int64', [2, 2], [1, 0, 1, 1]),
      tensorFrom('int64', [2], [1, 0]),
      tensorFrom('int64', [2], [0, 1]),
      tensorFrom('int64', [1], [1]),
    ],
    [
      tensorFrom('float32', [1, 2, 2], [1, 0, 1, 1]),
      tensorFrom('int64', [1, 2], [1, 0]),
      tensorFrom('int64', [2], [0, 1]),
    ],
  ];
  it.each(ops)('%s run', (op) => {
    for (const inputs of bad)
      for (const opset of [10, 13, 18, 20]) kilnOrOk(() => run(op, inputs, {}, opset, 4));
  });
  const types: (TypeInfo | undefined)[][] = [
    [],
    [undefined, undefined],
    [{ dtype: 'float32' }, { dtype: 'int64' }, { dtype: 'float32' }],
    [
      { dtype: 'float32', shape: [] },
      { dtype: 'int64', shape: ['k'] },
    ],
    [
      { dtype: 'float32', shape: ['a', 2, 3] },
      { dtype: 'int64', shape: [1] },
      { dtype: 'float32', shape: [2] },
    ],
  ];
  it.each(ops)('%s infer', (op) => {
    for (const inputs of types)
      for (const opset of [10, 13, 18, 20])
        kilnOrOk(() => infer(op, inputs, { equation: 'ij->i' }, opset, [], 4));
  });
});
