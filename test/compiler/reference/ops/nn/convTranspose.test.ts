import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, infer, int, ints, rand, run1, str, ti } from './helpers.js';

/** Direct 1-D transposed convolution by scattering each input tap (the operator's definition). */
function naive1d(
  x: Float32Array,
  [N, C, L]: number[],
  w: Float32Array,
  Mg: number,
  K: number,
  o: { group: number; s: number; d: number; pb: number; out: number },
): number[] {
  const M = Mg * o.group;
  const Cg = C / o.group;
  const y = new Array<number>(N * M * o.out).fill(0);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / Cg);
      for (let m = 0; m < Mg; m++)
        for (let i = 0; i < L; i++)
          for (let k = 0; k < K; k++) {
            const p = i * o.s + k * o.d - o.pb;
            if (p < 0 || p >= o.out) continue;
            y[(n * M + g * Mg + m) * o.out + p] += x[(n * C + c) * L + i]! * w[(c * Mg + m) * K + k]!;
          }
    }
  return y;
}

describe('ConvTranspose', () => {
  it('upsamples a hand-computed 1-D case with stride 2', () => {
    // x = [1, 2], w = [1, 10, 100], stride 2: out length 2*(2-1)+3 = 5.
    const y = run1('ConvTranspose', [f32([1, 1, 2], [1, 2]), f32([1, 1, 3], [1, 10, 100])], {
      strides: ints([2]),
    });
    expectClose(y, [1, 1, 5], [1, 10, 102, 20, 200]);
  });

  const cases = [
    { N: 2, C: 2, L: 5, Mg: 3, K: 3, group: 1, s: 2, d: 1, pads: [1, 0], op: 1 },
    { N: 1, C: 4, L: 4, Mg: 1, K: 2, group: 2, s: 3, d: 2, pads: [0, 2], op: 0 },
  ];
  for (const c of cases) {
    it(`matches the definition for ${JSON.stringify(c)}`, () => {
      const x = Float32Array.from(rand(c.N * c.C * c.L, 3));
      const w = Float32Array.from(rand(c.C * c.Mg * c.K, 4));
      const out = c.s * (c.L - 1) + c.op + (c.K - 1) * c.d + 1 - c.pads[0]! - c.pads[1]!;
      const y = run1('ConvTranspose', [f32([c.N, c.C, c.L], x), f32([c.C, c.Mg, c.K], w)], {
        group: int(c.group),
        strides: ints([c.s]),
        dilations: ints([c.d]),
        pads: ints(c.pads),
        output_padding: ints([c.op]),
      });
      const exp = naive1d(x, [c.N, c.C, c.L], w, c.Mg, c.K, { ...c, pb: c.pads[0]!, out });
      expectClose(y, [c.N, c.Mg * c.group, out], exp);
    });
  }

  it('derives pads from output_shape and SAME_UPPER', () => {
    const x = f32([1, 1, 3], [1, 2, 3]);
    const w = f32([1, 1, 3], [1, 1, 1]);
    // Natural length 2*2+3 = 7; output_shape 6 trims one element at the start (NOTSET puts the extra first).
    const full = naive1d(Float32Array.from([1, 2, 3]), [1, 1, 3], Float32Array.from([1, 1, 1]), 1, 3, {
      group: 1,
      s: 2,
      d: 1,
      pb: 0,
      out: 7,
    });
    expectClose(
      run1('ConvTranspose', [x, w], { strides: ints([2]), output_shape: ints([6]) }),
      [1, 1, 6],
      full.slice(1),
    );
    // SAME_UPPER: output 3*2 = 6, total pad 1 goes to the end.
    expectClose(
      run1('ConvTranspose', [x, w], { strides: ints([2]), auto_pad: str('SAME_UPPER') }),
      [1, 1, 6],
      full.slice(0, 6),
    );
  });

  it('rejects a weight with the wrong channel count', () => {
    expect(() => run1('ConvTranspose', [f32([1, 2, 3], rand(6)), f32([3, 1, 2], rand(6))])).toThrow(
      KilnError,
    );
  });

  it('infers the output shape', () => {
    expect(
      infer('ConvTranspose', [ti('float32', ['N', 8, 10, 10]), ti('float32', [8, 4, 3, 3])], {
        strides: ints([2, 2]),
        pads: ints([1, 1, 1, 1]),
        output_padding: ints([1, 1]),
      }),
    ).toEqual([ti('float32', ['N', 4, 20, 20])]);
    const [y] = infer('ConvTranspose', [ti('float32', ['N', 8, 'H', 10]), ti('float32', [8, 4, 3, 3])], {
      strides: ints([2, 2]),
    });
    expect(typeof y!.shape![2]).toBe('string');
    expect(y!.shape!.slice(0, 2)).toEqual(['N', 4]);
    expect(y!.shape![3]).toBe(21);
  });
});
