import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, infer, int, ints, makeNode, opDef, run, run1, str, t, ti } from './helpers.js';

const x44 = f32(
  [1, 1, 4, 4],
  Array.from({ length: 16 }, (_, i) => i + 1),
);

describe('MaxPool', () => {
  it('takes window maxima and reports row-major indices', () => {
    const [y, idx] = run('MaxPool', [x44], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) });
    expectClose(y!, [1, 1, 2, 2], [6, 8, 14, 16]);
    expect([...(idx!.data as BigInt64Array)]).toEqual([5n, 7n, 13n, 15n]);
  });

  it('reports column-major indices with storage_order=1', () => {
    const node = makeNode(
      'MaxPool',
      { kernel_shape: ints([2, 2]), strides: ints([2, 2]), storage_order: int(1) },
      1,
      2,
    );
    const [, idx] = opDef('MaxPool').run!([x44], { node, opset: 12, runSubgraph: () => [] });
    // (h, w) = (1, 1) → 1 + 1*4 = 5; (1, 3) → 1 + 3*4 = 13; (3, 1) → 7; (3, 3) → 15.
    expect([...(idx!.data as BigInt64Array)]).toEqual([5n, 13n, 7n, 15n]);
  });

  it('applies ceil_mode without starting a window in the end padding', () => {
    // 5 wide, kernel 2, stride 2: floor gives 2 outputs, ceil 3 (the last window holds one element).
    const x = f32([1, 1, 1, 5], [1, 5, 2, 4, 3]);
    expectClose(
      run1('MaxPool', [x], { kernel_shape: ints([1, 2]), strides: ints([1, 2]) }),
      [1, 1, 1, 2],
      [5, 4],
    );
    expectClose(
      run1('MaxPool', [x], { kernel_shape: ints([1, 2]), strides: ints([1, 2]), ceil_mode: int(1) }),
      [1, 1, 1, 3],
      [5, 4, 3],
    );
  });

  it('supports dilations and uint8', () => {
    const x = t('uint8', [1, 1, 1, 5], [9, 1, 2, 3, 7]);
    const y = run1('MaxPool', [x], { kernel_shape: ints([1, 2]), dilations: ints([1, 3]) });
    expect(y.dtype).toBe('uint8');
    expect([...(y.data as Uint8Array)]).toEqual([9, 7]);
  });

  it('requires kernel_shape', () => {
    expect(() => run1('MaxPool', [x44], {})).toThrow(KilnError);
  });
});

describe('AveragePool', () => {
  it('excludes or includes padding in the divisor', () => {
    const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
    const attrs = { kernel_shape: ints([2, 2]), pads: ints([1, 1, 0, 0]) };
    expectClose(run1('AveragePool', [x], attrs), [1, 1, 2, 2], [1, 1.5, 2, 2.5]);
    expectClose(
      run1('AveragePool', [x], { ...attrs, count_include_pad: int(1) }),
      [1, 1, 2, 2],
      [0.25, 0.75, 1, 2.5],
    );
  });

  it('pads SAME_UPPER at the end', () => {
    const x = f32([1, 1, 1, 3], [1, 2, 3]);
    const y = run1('AveragePool', [x], { kernel_shape: ints([1, 2]), auto_pad: str('SAME_UPPER') });
    expectClose(y, [1, 1, 1, 3], [1.5, 2.5, 3]);
  });
});

describe('LpPool and global pools', () => {
  it('computes p-norms over windows', () => {
    const x = f32([1, 1, 1, 4], [3, 4, -6, 8]);
    expectClose(
      run1('LpPool', [x], { kernel_shape: ints([1, 2]), strides: ints([1, 2]) }),
      [1, 1, 1, 2],
      [5, 10],
    );
    expectClose(run1('LpPool', [x], { kernel_shape: ints([1, 2]), p: int(1) }), [1, 1, 1, 3], [7, 10, 14]);
  });

  it('reduces all spatial axes', () => {
    const x = f32([1, 2, 1, 2], [1, 3, -2, -4]);
    expectClose(run1('GlobalAveragePool', [x]), [1, 2, 1, 1], [2, -3]);
    expectClose(run1('GlobalMaxPool', [x]), [1, 2, 1, 1], [3, -2]);
    expectClose(run1('GlobalLpPool', [f32([1, 1, 2], [3, 4])]), [1, 1, 1], [5]);
  });

  it('infers pooled shapes and the Indices output', () => {
    const node = makeNode(
      'MaxPool',
      { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) },
      1,
      2,
    );
    const outs = opDef('MaxPool').infer({
      node,
      opset: 12,
      inputs: [ti('float32', ['N', 64, 112, 112])],
      constants: [],
      freshDim: () => 'x',
      inferSubgraph: () => [],
    });
    expect(outs).toEqual([ti('float32', ['N', 64, 56, 56]), ti('int64', ['N', 64, 56, 56])]);
    expect(infer('GlobalAveragePool', [ti('float32', ['N', 8, 'H', 'W'])])).toEqual([
      ti('float32', ['N', 8, 1, 1]),
    ]);
  });
});
