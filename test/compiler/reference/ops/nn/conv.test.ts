import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, infer, int, ints, rand, run1, str, ti } from './helpers.js';

/** Direct 2-D convolution from the definition (no im2col), used as an independent reference. */
function naiveConv2d(
  x: Float32Array,
  [N, C, H, W]: number[],
  w: Float32Array,
  [M, Cg, KH, KW]: number[],
  o: { group: number; stride: number[]; dil: number[]; pads: number[]; bias?: Float32Array },
): { shape: number[]; data: number[] } {
  const [sh, sw] = o.stride as [number, number];
  const [dh, dw] = o.dil as [number, number];
  const [pt, pl, pb, pr] = o.pads as [number, number, number, number];
  const OH = Math.floor((H + pt + pb - ((KH - 1) * dh + 1)) / sh) + 1;
  const OW = Math.floor((W + pl + pr - ((KW - 1) * dw + 1)) / sw) + 1;
  const Mg = M / o.group;
  const data: number[] = [];
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = o.bias ? o.bias[m]! : 0;
          for (let c = 0; c < Cg; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * sh - pt + kh * dh;
                const iw = ow * sw - pl + kw * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += x[((n * C + g * Cg + c) * H + ih) * W + iw]! * w[((m * Cg + c) * KH + kh) * KW + kw]!;
              }
          data.push(s);
        }
    }
  return { shape: [N, M, OH, OW], data };
}

describe('Conv', () => {
  it('matches a hand-computed 3x3 case with padding', () => {
    // All-ones 3x3 kernel over 0..8 with pad 1: each output is the sum of its 3x3 neighbourhood.
    const y = run1(
      'Conv',
      [f32([1, 1, 3, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8]), f32([1, 1, 3, 3], new Array(9).fill(1))],
      {
        pads: ints([1, 1, 1, 1]),
      },
    );
    expectClose(y, [1, 1, 3, 3], [8, 15, 12, 21, 36, 27, 20, 33, 24]);
  });

  const cases = [
    { N: 2, C: 4, H: 7, W: 6, M: 6, K: [3, 3], group: 1, stride: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1] },
    { N: 1, C: 4, H: 9, W: 8, M: 4, K: [3, 2], group: 2, stride: [2, 3], dil: [1, 1], pads: [0, 1, 2, 0] },
    { N: 1, C: 6, H: 8, W: 8, M: 6, K: [3, 3], group: 6, stride: [2, 2], dil: [2, 1], pads: [1, 1, 1, 1] },
    { N: 1, C: 3, H: 5, W: 5, M: 2, K: [1, 1], group: 1, stride: [1, 1], dil: [1, 1], pads: [0, 0, 0, 0] },
  ];
  for (const c of cases) {
    it(`matches the definition for ${JSON.stringify(c)}`, () => {
      const x = Float32Array.from(rand(c.N * c.C * c.H * c.W, 7));
      const wv = Float32Array.from(rand(c.M * (c.C / c.group) * c.K[0]! * c.K[1]!, 11));
      const bias = Float32Array.from(rand(c.M, 13));
      const exp = naiveConv2d(x, [c.N, c.C, c.H, c.W], wv, [c.M, c.C / c.group, ...c.K], { ...c, bias });
      const y = run1(
        'Conv',
        [f32([c.N, c.C, c.H, c.W], x), f32([c.M, c.C / c.group, ...c.K], wv), f32([c.M], bias)],
        {
          group: int(c.group),
          strides: ints(c.stride),
          dilations: ints(c.dil),
          pads: ints(c.pads),
        },
      );
      expectClose(y, exp.shape, exp.data, 1e-5);
    });
  }

  it('pads SAME_UPPER and SAME_LOWER asymmetrically on opposite sides', () => {
    // 1-D, input 0..3, kernel [1, 10] (even size 2): total pad 1 goes to the end (UPPER) or start (LOWER).
    const x = f32([1, 1, 4], [1, 2, 3, 4]);
    const w = f32([1, 1, 2], [1, 10]);
    expectClose(run1('Conv', [x, w], { auto_pad: str('SAME_UPPER') }), [1, 1, 4], [21, 32, 43, 4]);
    expectClose(run1('Conv', [x, w], { auto_pad: str('SAME_LOWER') }), [1, 1, 4], [10, 21, 32, 43]);
    expectClose(run1('Conv', [x, w], { auto_pad: str('VALID') }), [1, 1, 3], [21, 32, 43]);
  });

  it('handles 3-D convolution', () => {
    const x = f32([1, 1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const w = f32([1, 1, 2, 2, 2], new Array(8).fill(1));
    expectClose(run1('Conv', [x, w]), [1, 1, 1, 1, 1], [36]);
  });

  it('rejects channel mismatch', () => {
    expect(() => run1('Conv', [f32([1, 3, 4, 4], rand(48)), f32([2, 2, 3, 3], rand(36))])).toThrow(KilnError);
  });

  it('infers output shape with a symbolic batch', () => {
    expect(
      infer('Conv', [ti('float32', ['N', 3, 224, 224]), ti('float32', [64, 3, 7, 7])], {
        strides: ints([2, 2]),
        pads: ints([3, 3, 3, 3]),
      }),
    ).toEqual([ti('float32', ['N', 64, 112, 112])]);
    const [y] = infer('Conv', [ti('float32', ['N', 3, 'H', 32]), ti('float32', [8, 3, 3, 3])]);
    expect(y!.shape![0]).toBe('N');
    expect(typeof y!.shape![2]).toBe('string');
    expect(y!.shape![3]).toBe(30);
  });
});
