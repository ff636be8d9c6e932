import { describe, expect, it } from 'vitest';
import { tensorFrom } from '../../../../../runtime/tensor.js';
import { expectClose, infer, run, vals } from './helpers.js';

const i64 = (v: number) => tensorFrom('int64', [], [v]);

describe('window functions', () => {
  it('Hann periodic and symmetric', () => {
    expectClose(vals(run('HannWindow', [i64(4)])[0]!), [0, 0.5, 1, 0.5]);
    expectClose(vals(run('HannWindow', [i64(5)], { periodic: 0 })[0]!), [0, 0.5, 1, 0.5, 0]);
  });
  it('Hamming uses alpha = 25/46 and Blackman its three terms', () => {
    expectClose(vals(run('HammingWindow', [i64(2)])[0]!), [4 / 46, 1]);
    expectClose(vals(run('BlackmanWindow', [i64(3)], { periodic: 0 })[0]!), [0, 1, 0]);
  });
  it('honours output_datatype', () => {
    const [w] = run('HannWindow', [i64(3)], { output_datatype: 11 });
    expect(w!.dtype).toBe('float64');
    expect(infer('HannWindow', [{ dtype: 'int64', shape: [] }], {}, 17, [i64(7)])).toEqual([
      { dtype: 'float32', shape: [7] },
    ]);
  });
});

describe('DFT', () => {
  // x = [1, 2, 3, 4] -> X = [10, -2+2i, -2, -2-2i]
  const x = () => tensorFrom('float32', [1, 4, 1], [1, 2, 3, 4]);
  it('transforms a real signal (opset 17, axis 1)', () => {
    const [y] = run('DFT', [x()], {}, 17);
    expect(y!.shape).toEqual([1, 4, 2]);
    expectClose(vals(y!), [10, 0, -2, 2, -2, 0, -2, -2]);
    expectClose(vals(run('DFT', [x()], { onesided: 1 }, 17)[0]!), [10, 0, -2, 2, -2, 0]);
  });
  it('inverts a complex spectrum and truncates to dft_length', () => {
    const X = tensorFrom('float32', [1, 4, 2], [10, 0, -2, 2, -2, 0, -2, -2]);
    expectClose(vals(run('DFT', [X], { inverse: 1 }, 17)[0]!), [1, 0, 2, 0, 3, 0, 4, 0]);
    // first two samples only: [1, 2] -> [3, -1]
    expectClose(vals(run('DFT', [x(), i64(2)], {}, 17)[0]!), [3, 0, -1, 0]);
  });
  it('takes axis as input 2 from opset 20', () => {
    // [2, 1] signal along axis 0 (with batch-less layout [2, 1, 1]): [1, 2] -> [3, -1]
    const s = tensorFrom('float32', [2, 1, 1], [1, 2]);
    expectClose(vals(run('DFT', [s, undefined, i64(0)], {}, 20)[0]!), [3, 0, -1, 0]);
    expect(() => run('DFT', [s, undefined, i64(-1)], {}, 20)).toThrow(/complex dimension/);
  });
});

describe('STFT', () => {
  it('frames, windows and transforms the signal', () => {
    const s = tensorFrom('float32', [1, 4, 1], [1, 2, 3, 4]);
    const [y] = run('STFT', [s, i64(2), undefined, i64(2)], {}, 17);
    expect(y!.shape).toEqual([1, 2, 2, 2]);
    expectClose(vals(y!), [3, 0, -1, 0, 7, 0, -1, 0]);
    const w = tensorFrom('float32', [2], [1, 0]);
    expectClose(vals(run('STFT', [s, i64(2), w], {}, 17)[0]!), [1, 0, 1, 0, 3, 0, 3, 0]);
  });
});

describe('MelWeightMatrix', () => {
  it('places triangular filters on integer bins', () => {
    // mel edges 0 Hz, ~1.33 Hz, ~2.66 Hz -> bins floor(9 * f / 8) = 0, 1, 2: a peak of 1 at bin 1.
    const f = (v: number) => tensorFrom('float32', [], [v]);
    const [m] = run('MelWeightMatrix', [i64(1), i64(8), i64(8), f(0), f(4)], {}, 17);
    expect(m!.shape).toEqual([5, 1]);
    expectClose(vals(m!), [0, 1, 0, 0, 0]);
  });
});

describe('NonMaxSuppression', () => {
  // corner format [y1, x1, y2, x2]; box1 overlaps box0 with IoU 0.9 / 1.1, box2 is apart
  const boxes = () => tensorFrom('float32', [1, 3, 4], [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, 10, 1, 11]);
  const scores = () => tensorFrom('float32', [1, 1, 3], [0.9, 0.95, 0.5]);
  const f = (v: number) => tensorFrom('float32', [1], [v]);
  const n = (v: number) => tensorFrom('int64', [1], [v]);
  it('suppresses overlapping boxes by score order', () => {
    const [y] = run('NonMaxSuppression', [boxes(), scores(), n(10), f(0.5)]);
    expect(y!.shape).toEqual([2, 3]);
    expect(vals(y!)).toEqual([0, 0, 1, 0, 0, 2]);
    // a high IoU threshold keeps all three in score order
    expect(vals(run('NonMaxSuppression', [boxes(), scores(), n(10), f(0.9)])[0]!)).toEqual([
      0, 0, 1, 0, 0, 0, 0, 0, 2,
    ]);
  });
  it('applies max_output_boxes_per_class and score_threshold', () => {
    expect(vals(run('NonMaxSuppression', [boxes(), scores(), n(1), f(0.5)])[0]!)).toEqual([0, 0, 1]);
    expect(vals(run('NonMaxSuppression', [boxes(), scores(), n(10), f(0.5), f(0.92)])[0]!)).toEqual([
      0, 0, 1,
    ]);
    expect(run('NonMaxSuppression', [boxes(), scores()])[0]!.shape).toEqual([0, 3]);
  });
  it('reads center-point boxes', () => {
    // same boxes as [x_center, y_center, w, h]
    const c = tensorFrom('float32', [1, 3, 4], [0.5, 0.5, 1, 1, 0.6, 0.5, 1, 1, 10.5, 0.5, 1, 1]);
    expect(vals(run('NonMaxSuppression', [c, scores(), n(10), f(0.5)], { center_point_box: 1 })[0]!)).toEqual(
      [0, 0, 1, 0, 0, 2],
    );
  });
});

describe('DFT axis handling', () => {
  it('accepts axis 0 at opset 17 and infers onesided lengths', () => {
    const s = tensorFrom('float32', [2, 1, 1], [1, 2]);
    expectClose(vals(run('DFT', [s], { axis: 0 }, 17)[0]!), [3, 0, -1, 0]);
    expect(() => run('DFT', [s], { axis: 2 }, 17)).toThrow(/complex dimension/);
    expect(infer('DFT', [{ dtype: 'float32', shape: ['B', 9, 1] }], { onesided: 1 }, 17)).toEqual([
      { dtype: 'float32', shape: ['B', 5, 2] },
    ]);
  });
});
