import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, infer, int, ints, rand, run1, t, ti } from './helpers.js';

describe('LpNormalization', () => {
  it('divides by the p-norm along the axis and keeps zero vectors zero', () => {
    const x = f32([2, 2], [3, 4, 0, 0]);
    expectClose(run1('LpNormalization', [x], {}, 1), [2, 2], [0.6, 0.8, 0, 0]);
    expectClose(run1('LpNormalization', [x], { p: int(1) }, 1), [2, 2], [3 / 7, 4 / 7, 0, 0]);
    expectClose(run1('LpNormalization', [f32([2, 1], [3, 4])], { axis: int(0) }, 1), [2, 1], [0.6, 0.8]);
    expect(() => run1('LpNormalization', [x], { p: int(3) }, 1)).toThrow(KilnError);
  });
});

describe('MaxRoiPool', () => {
  it('takes maxima over the grid cells of each region', () => {
    const x = f32(
      [1, 1, 4, 4],
      Array.from({ length: 16 }, (_, i) => i),
    );
    const y = run1(
      'MaxRoiPool',
      [x, f32([2, 5], [0, 0, 0, 3, 3, 0, 1, 1, 1.4, 1.4])],
      { pooled_shape: ints([2, 2]) },
      1,
    );
    // Whole map in 2x2 cells; second roi rounds to the single pixel (1, 1) = 5, repeated per cell.
    expectClose(y, [2, 1, 2, 2], [5, 7, 13, 15, 5, 5, 5, 5]);
  });

  it('infers [num_rois, C, pooled_h, pooled_w]', () => {
    expect(
      infer(
        'MaxRoiPool',
        [ti('float32', ['N', 8, 'H', 'W']), ti('float32', ['R', 5])],
        { pooled_shape: ints([7, 7]) },
        1,
      ),
    ).toEqual([ti('float32', ['R', 8, 7, 7])]);
  });
});

describe('AffineGrid', () => {
  it('maps pixel centres through theta', () => {
    const identity = f32([1, 2, 3], [1, 0, 0, 0, 1, 0]);
    const size = t('int64', [4], [1, 1, 2, 2]);
    expectClose(
      run1('AffineGrid', [identity, size], {}, 20),
      [1, 2, 2, 2],
      [-0.5, -0.5, 0.5, -0.5, -0.5, 0.5, 0.5, 0.5],
    );
    expectClose(
      run1('AffineGrid', [identity, size], { align_corners: int(1) }, 20),
      [1, 2, 2, 2],
      [-1, -1, 1, -1, -1, 1, 1, 1],
    );
    // A translation by (0.25, -1) in x and y.
    const shift = f32([1, 2, 3], [1, 0, 0.25, 0, 1, -1]);
    expectClose(
      run1('AffineGrid', [shift, size], {}, 20),
      [1, 2, 2, 2],
      [-0.25, -1.5, 0.75, -1.5, -0.25, -0.5, 0.75, -0.5],
    );
  });

  it('infers the grid shape from a constant size', () => {
    const size = t('int64', [5], [2, 3, 4, 5, 6]);
    expect(
      infer('AffineGrid', [ti('float32', [2, 3, 4]), ti('int64', [5])], {}, 20, [undefined, size]),
    ).toEqual([ti('float32', [2, 4, 5, 6, 3])]);
  });
});

describe('DeformConv', () => {
  const x = f32([1, 2, 4, 5], rand(40, 5));
  const w = f32([3, 2, 2, 2], rand(24, 6));
  it('equals Conv when every offset is zero and the mask is one', () => {
    const offset = f32([1, 8, 3, 4], new Array(96).fill(0));
    const mask = f32([1, 4, 3, 4], new Array(48).fill(1));
    const conv = run1('Conv', [x, w]);
    expectClose(
      run1('DeformConv', [x, w, offset, undefined, mask], {}, 19),
      [...conv.shape],
      conv.data as Float32Array,
    );
  });

  it('samples at whole-pixel offsets like a shifted convolution', () => {
    // Offset +1 along w for every tap reads X one column to the right (zero past the edge).
    const offset = f32(
      [1, 8, 3, 4],
      Array.from({ length: 96 }, (_, i) => (Math.floor(i / 12) % 2 === 1 ? 1 : 0)),
    );
    const xs = f32(
      [1, 2, 4, 5],
      Array.from({ length: 40 }, (_, i) => (i % 5 === 4 ? 0 : (x.data as Float32Array)[i + 1]!)),
    );
    const conv = run1('Conv', [xs, w]);
    expectClose(run1('DeformConv', [x, w, offset], {}, 19), [...conv.shape], conv.data as Float32Array);
  });

  it('rejects an offset of the wrong shape', () => {
    expect(() =>
      run1(
        'DeformConv',
        [x, w, f32([1, 8, 2, 2], rand(32))],
        { pads: ints([0, 0, 0, 0]), group: int(1) },
        19,
      ),
    ).toThrow(KilnError);
    expect(() =>
      run1('DeformConv', [x, w, f32([1, 8, 3, 4], rand(96))], { offset_group: int(3) }, 19),
    ).toThrow(KilnError);
  });
});
