/** Pad, Resize, Upsample, ReverseSequence, Col2Im: hand-computed cases and inference. */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import {
  expectTensor,
  f32,
  float,
  floats,
  i64,
  infer1,
  int,
  ints,
  iota,
  run1,
  str,
  t,
  ti,
} from './helpers.js';

describe('Pad', () => {
  const x = f32([3], [1, 2, 3]);
  it('each mode on a 1-D input', () => {
    expectTensor(run1('Pad', [x, i64([2, 1]), f32([], [9])]), [6], [9, 9, 1, 2, 3, 9]);
    expectTensor(run1('Pad', [x, i64([2, 1])], { mode: str('edge') }), [6], [1, 1, 1, 2, 3, 3]);
    expectTensor(run1('Pad', [x, i64([2, 1])], { mode: str('reflect') }), [6], [3, 2, 1, 2, 3, 2]);
    expectTensor(run1('Pad', [x, i64([2, 1])], { mode: str('wrap') }), [6], [2, 3, 1, 2, 3, 1]);
    // numpy-style reflect for pads longer than the axis
    expectTensor(run1('Pad', [x, i64([4, 0])], { mode: str('reflect') }), [7], [1, 2, 3, 2, 1, 2, 3]);
  });
  it('negative pads crop; axes select padded axes (opset 18)', () => {
    expectTensor(run1('Pad', [x, i64([-1, 1])], { mode: str('edge') }), [3], [2, 3, 3]);
    const m = f32([2, 2], [1, 2, 3, 4]);
    expectTensor(run1('Pad', [m, i64([1, 0]), undefined, i64([-1])]), [2, 3], [0, 1, 2, 0, 3, 4]);
  });
  it('attribute forms before opset 11', () => {
    expectTensor(run1('Pad', [x], { pads: ints([1, 0]), value: float(5) }, 2), [4], [5, 1, 2, 3]);
    expectTensor(run1('Pad', [x], { paddings: ints([0, 1]) }, 1), [4], [1, 2, 3, 0]);
  });
  it('int64 data keeps exact fill values', () => {
    const r = run1('Pad', [t('int64', [1], [7n]), i64([1, 0]), t('int64', [], [-2n])]);
    expect(Array.from(r.data as BigInt64Array)).toEqual([-2n, 7n]);
  });
  it('errors and inference', () => {
    expect(() => run1('Pad', [x, i64([1])])).toThrow(/pads/);
    expect(() => run1('Pad', [x, i64([1, 1])], { mode: str('wrap') }, 18)).toThrow(/mode/);
    const inputs = [ti('float32', ['N', 3]), ti('int64', [4])];
    expect(infer1('Pad', inputs, {}, { constants: [undefined, i64([0, 1, 0, 2])] })).toEqual(
      ti('float32', ['N', 6]),
    );
    expect(infer1('Pad', inputs, {}, { constants: [undefined, i64([1, 1, 0, 2])] })).toEqual(
      ti('float32', ['unk__0', 6]),
    );
  });
});

describe('Resize', () => {
  const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
  const scales = (s: number[]) => f32([s.length], s);
  it('nearest upsample x2 (asymmetric/floor) repeats pixels', () => {
    const attrs = { coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('floor') };
    const r = run1('Resize', [x, undefined, scales([1, 1, 2, 2])], attrs);
    expectTensor(r, [1, 1, 4, 4], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
  it('linear half_pixel x2 matches bilinear by hand', () => {
    // Along one axis of [a, b] upsampled x2 (half_pixel): x_orig = -0.25, 0.25, 0.75, 1.25
    // -> a, 0.75a + 0.25b, 0.25a + 0.75b, b (edge clamped).
    const r = run1('Resize', [f32([1, 2], [0, 4]), undefined, scales([1, 2])], { mode: str('linear') });
    expectTensor(r, [1, 4], [0, 1, 3, 4]);
  });
  it('align_corners linear with sizes', () => {
    const r = run1('Resize', [f32([3], [0, 10, 20]), undefined, undefined, i64([5])], {
      mode: str('linear'),
      coordinate_transformation_mode: str('align_corners'),
    });
    expectTensor(r, [5], [0, 5, 10, 15, 20]);
  });
  it('cubic on a linear ramp reproduces the ramp inside', () => {
    // Keys cubic convolution with a = -0.5 reproduces linear functions away from the borders.
    const ramp = f32([8], iota(8));
    const r = run1('Resize', [ramp, undefined, scales([2])], {
      mode: str('cubic'),
      cubic_coeff_a: float(-0.5),
      coordinate_transformation_mode: str('align_corners'),
    });
    const out = Array.from(r.data as Float32Array);
    for (let i = 4; i < 12; i++) expect(out[i]).toBeCloseTo((i * 7) / 15, 5);
  });
  it('integer outputs truncate and saturate cubic overshoot', () => {
    const vals8 = [0, 255, 0, 255, 10];
    const attrs = { mode: str('cubic') };
    const sc = scales([2.5]);
    const ref = Array.from(run1('Resize', [f32([5], vals8), undefined, sc], attrs).data as Float32Array);
    expect(ref.some((v) => v < 0 || v > 255)).toBe(true);
    const u8 = run1('Resize', [t('uint8', [5], vals8), undefined, sc], attrs);
    expectTensor(
      u8,
      [12],
      ref.map((v) => Math.min(255, Math.max(0, Math.trunc(v)))),
    );
    expect(() => run1('Resize', [t('bool', [2], [1, 0]), undefined, scales([2])])).toThrow(/dtype/);
  });
  it('tf_crop_and_resize extrapolates outside the roi', () => {
    const roi = f32([2], [0.5, 1.5]);
    const r = run1('Resize', [f32([3], [0, 10, 20]), roi, undefined, i64([3])], {
      mode: str('linear'),
      coordinate_transformation_mode: str('tf_crop_and_resize'),
      extrapolation_value: float(-1),
    });
    // x_orig = 1, 2, 3 -> 10, 20, outside
    expectTensor(r, [3], [10, 20, -1]);
  });
  it('opset 10: scales as input 1, asymmetric coordinates', () => {
    const r = run1('Resize', [f32([4], [1, 2, 3, 4]), scales([0.5])], { mode: str('nearest') }, 10);
    // x_orig = 0, 2 -> values 1, 3
    expectTensor(r, [2], [1, 3]);
  });
  it('rejects both scales and sizes, bad modes', () => {
    expect(() => run1('Resize', [x, undefined, scales([1, 1, 2, 2]), i64([1, 1, 4, 4])])).toThrow(
      /exactly one/,
    );
    expect(() => run1('Resize', [x, undefined, scales([1, 1, 2, 2])], { mode: str('area') })).toThrow(
      KilnError,
    );
    expect(() => run1('Resize', [x, undefined, scales([1, 2])])).toThrow(/scales/);
  });
  it('infers sizes from constant scales or sizes', () => {
    const inputs = [ti('float32', ['N', 3, 4, 6]), undefined, ti('float32', [4])];
    expect(
      infer1('Resize', inputs, {}, { constants: [undefined, undefined, scales([1, 1, 2, 0.5])] }),
    ).toEqual(ti('float32', ['N', 3, 8, 3]));
    const bySize = [ti('float32', ['N', 3, 4, 6]), undefined, undefined, ti('int64', [2])];
    expect(
      infer1(
        'Resize',
        bySize,
        { axes: ints([2, 3]) },
        { constants: [undefined, undefined, undefined, i64([5, 7])] },
      ),
    ).toEqual(ti('float32', ['N', 3, 5, 7]));
  });
  it('infers a kept aspect ratio only when the selected dims are known', () => {
    const bySize = [undefined, undefined, undefined, ti('int64', [2])];
    const sizes = { constants: [undefined, undefined, undefined, i64([6, 6])] };
    const attrs = { axes: ints([2, 3]), keep_aspect_ratio_policy: str('not_larger') };
    // scale = min(6/4, 6/3) = 1.5 -> [6, 4.5 -> 5]
    expect(infer1('Resize', [ti('float32', ['N', 3, 4, 3]), ...bySize], attrs, sizes)).toEqual(
      ti('float32', ['N', 3, 6, 5]),
    );
    expect(infer1('Resize', [ti('float32', [1, 3, 'H', 3]), ...bySize], attrs, sizes)).toEqual(
      ti('float32', [1, 3, 'unk__0', 'unk__1']),
    );
  });
  it('Upsample (opset 7 attribute, opset 9 input)', () => {
    const a = run1('Upsample', [f32([2], [1, 2])], { scales: floats([2]) }, 7);
    expectTensor(a, [4], [1, 1, 2, 2]);
    const b = run1('Upsample', [f32([2], [0, 4]), scales([2])], { mode: str('linear') }, 9);
    expectTensor(b, [4], [0, 2, 4, 4]);
  });
});

describe('ReverseSequence and Col2Im', () => {
  it('ReverseSequence reverses each batch prefix', () => {
    // time-major [T=3, B=2]: batch 0 length 3, batch 1 length 1
    const x = f32([3, 2], [0, 1, 2, 3, 4, 5]);
    expectTensor(run1('ReverseSequence', [x, i64([3, 1])]), [3, 2], [4, 1, 2, 3, 0, 5]);
    const y = f32([2, 3], iota(6));
    expectTensor(
      run1('ReverseSequence', [y, i64([2, 3])], { batch_axis: int(0), time_axis: int(1) }),
      [2, 3],
      [1, 0, 2, 5, 4, 3],
    );
    expect(() => run1('ReverseSequence', [x, i64([4, 1])])).toThrow(/sequence length/);
  });
  it('Col2Im sums overlapping blocks', () => {
    // 1-D image of 3 with block 2, stride 1: positions 0,1; image[1] gets both contributions.
    const cols = f32([1, 2, 2], [1, 2, 10, 20]); // rows: block offset 0 -> [1,2], offset 1 -> [10,20]
    const r = run1('Col2Im', [cols, i64([1, 3]), i64([1, 2])]);
    expectTensor(r, [1, 1, 1, 3], [1, 12, 20]);
    expect(() => run1('Col2Im', [cols, i64([1, 4]), i64([1, 2])])).toThrow(/blocks/);
  });
});
