import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, infer, int, ints, run1, str, t, ti } from './helpers.js';

describe('MaxUnpool', () => {
  it('scatters values to their pooled indices', () => {
    const y = run1('MaxUnpool', [f32([1, 1, 1, 2], [5, 6]), t('int64', [1, 1, 1, 2], [1, 2])], {
      kernel_shape: ints([1, 2]),
      strides: ints([1, 2]),
    });
    expectClose(y, [1, 1, 1, 4], [0, 5, 6, 0]);
  });

  it('pads the default result up to a larger output_shape', () => {
    const y = run1(
      'MaxUnpool',
      [f32([1, 1, 1, 1], [7]), t('int64', [1, 1, 1, 1], [3]), t('int64', [4], [1, 1, 3, 3])],
      {
        kernel_shape: ints([2, 2]),
        strides: ints([2, 2]),
      },
    );
    // Index 3 is (1, 1) of the default 2x2 result, kept at (1, 1) of the 3x3 output.
    expectClose(y, [1, 1, 3, 3], [0, 0, 0, 0, 7, 0, 0, 0, 0]);
  });

  it('rejects out-of-range indices', () => {
    expect(() =>
      run1('MaxUnpool', [f32([1, 1, 1, 1], [7]), t('int64', [1, 1, 1, 1], [9])], {
        kernel_shape: ints([2, 2]),
      }),
    ).toThrow(KilnError);
  });
});

describe('GridSample', () => {
  const x = f32([1, 1, 2, 3], [1, 2, 3, 4, 5, 6]);
  const grid = (pts: [number, number][]) => f32([1, 1, pts.length, 2], pts.flat());

  it('reproduces pixels at their centres with align_corners=1', () => {
    const g = grid([
      [-1, -1],
      [0, -1],
      [1, 1],
      [0, 0],
    ]);
    // (x, y) → pixel: (0,0)=1, (1,0)=2, (2,1)=6, centre (1, 0.5) = mean of 2 and 5.
    expectClose(run1('GridSample', [x, g], { align_corners: int(1) }, 16), [1, 1, 1, 4], [1, 2, 6, 3.5]);
  });

  it('pads with zeros, borders or reflections outside the image', () => {
    // align_corners=0: x=-1 is the left edge of pixel 0 (coordinate -0.5).
    const g = grid([[-1, -1]]);
    // zeros: half of pixel (0,0) in each axis → 1 * 0.25.
    expectClose(run1('GridSample', [x, g], {}, 16), [1, 1, 1, 1], [0.25]);
    expectClose(run1('GridSample', [x, g], { padding_mode: str('border') }, 16), [1, 1, 1, 1], [1]);
    expectClose(run1('GridSample', [x, g], { padding_mode: str('reflection') }, 16), [1, 1, 1, 1], [1]);
    // Far right in x (coordinate 3.5 reflects to 1.5 within [-0.5, 2.5]); y centre row 0.
    const g2 = grid([[5 / 3, -0.5]]);
    expectClose(run1('GridSample', [x, g2], { padding_mode: str('reflection') }, 16), [1, 1, 1, 1], [2.5]);
  });

  it('rounds half to even in nearest mode', () => {
    // align_corners=1, x = 0.5 * 2 = 1.0 exactly → pixel 1; x=-0.5 → coordinate 0.5 → rounds to 0.
    const g = grid([
      [0, -1],
      [-0.5, -1],
    ]);
    expectClose(
      run1('GridSample', [x, g], { mode: str('nearest'), align_corners: int(1) }, 16),
      [1, 1, 1, 2],
      [2, 1],
    );
  });

  it('interpolates bicubically with the A = -0.75 kernel', () => {
    const ramp = f32(
      [1, 1, 4, 4],
      Array.from({ length: 16 }, (_, i) => i % 4),
    );
    // x coordinate 1.25 (t = 0.25): weights -0.10546875, 0.87890625, 0.26171875, -0.03515625 on
    // pixels 0..3 (hand-evaluated kernel), so the ramp gives 0.87890625 + 2*0.26171875 - 3*0.03515625.
    const g = grid([[(2 * 1.25) / 3 - 1, 0]]);
    expectClose(
      run1('GridSample', [ramp, g], { mode: str('bicubic'), align_corners: int(1) }, 16),
      [1, 1, 1, 1],
      [1.296875],
    );
  });

  it('infers [N, C, Hout, Wout]', () => {
    expect(
      infer('GridSample', [ti('float32', ['N', 3, 8, 8]), ti('float32', ['N', 4, 5, 2])], {}, 16),
    ).toEqual([ti('float32', ['N', 3, 4, 5])]);
  });
});

describe('RoiAlign', () => {
  it('averages bilinear samples of each bin', () => {
    const ramp = f32(
      [1, 1, 5, 5],
      Array.from({ length: 25 }, (_, i) => i % 5),
    );
    const y = run1(
      'RoiAlign',
      [ramp, f32([1, 4], [0, 0, 4, 4]), t('int64', [1], [0])],
      { output_height: int(2), output_width: int(2), sampling_ratio: int(2) },
      16,
    );
    // half_pixel: x from -0.5, bins of width 2, samples at 0,1 and 2,3 → averages 0.5 and 2.5.
    expectClose(y, [1, 1, 2, 2], [0.5, 2.5, 0.5, 2.5]);
  });

  it('rejects a bad batch index', () => {
    expect(() =>
      run1('RoiAlign', [f32([1, 1, 2, 2], [1, 2, 3, 4]), f32([1, 4], [0, 0, 1, 1]), t('int64', [1], [3])]),
    ).toThrow(KilnError);
  });

  it('infers [num_rois, C, output_height, output_width]', () => {
    expect(
      infer('RoiAlign', [ti('float32', ['N', 16, 'H', 'W']), ti('float32', ['R', 4]), ti('int64', ['R'])], {
        output_height: int(7),
        output_width: int(7),
      }),
    ).toEqual([ti('float32', ['R', 16, 7, 7])]);
  });
});
