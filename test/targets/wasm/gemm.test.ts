import { describe, expect, it } from 'vitest';
import type { Activation, GemmKernel } from '../../../compiler/kernel/ir.js';
import { packGemmA, packGemmB, packedRows, padBias } from '../../../compiler/kernel/pack.js';
import { execute, expectClose, rand } from './execute.js';

const MR = 5;
const NR = 8;

function act(v: number, a: Activation): number {
  switch (a.kind) {
    case 'none':
      return v;
    case 'relu':
      return Math.max(v, 0);
    case 'clip':
      return Math.min(Math.max(v, a.min), a.max);
    case 'leaky_relu':
      return v > 0 ? v : v * a.alpha;
  }
}

/** float64 reference of one batch item: C = act(A·B + bias) with B row stride ldb. */
function reference(
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | undefined,
  per: 'row' | 'column',
  [m, n, k, ldb]: number[],
  activation: Activation,
  offs = { a: 0, b: 0, bias: 0 },
): number[] {
  const c: number[] = [];
  for (let i = 0; i < m!; i++) {
    for (let j = 0; j < n!; j++) {
      let s = bias ? bias[offs.bias + (per === 'row' ? i : j)]! : 0;
      for (let p = 0; p < k!; p++) s += a[offs.a + i * k! + p]! * b[offs.b + p * ldb! + j]!;
      c.push(act(s, activation));
    }
  }
  return c;
}

describe('WASM GEMM template: A from weights, B a row-major activation, per-row bias', () => {
  // m, n, k cover full and tail row tiles (m % 5) and every tail panel width (n % 8 = 0..7)
  const shapes = [
    [5, 8, 3],
    [7, 13, 11],
    [1, 1, 1],
    [3, 2, 5],
    [11, 19, 17],
    [16, 36, 64],
    [64, 49, 27],
    [10, 4, 9],
    [6, 23, 2],
  ];
  for (const [m, n, k] of shapes) {
    for (const [aLayout, kc] of [
      ['rowmajor', undefined],
      ['packed', undefined],
      ['packed', 4],
    ] as const) {
      it.each([false, true])(
        `m=${m} n=${n} k=${k}, A ${aLayout}, k blocks of ${kc ?? k}, ldb=n+3 (relaxed FMA: %s) matches float64, reads nothing past B`,
        (relaxedSimd) => {
          const ldb = n! + 3;
          const a = rand(m! * k!, 11);
          const b = rand(k! * ldb, 12);
          const bias = rand(m!, 13);
          const activation: Activation = { kind: 'clip', min: -0.5, max: 1.5 };
          const g: GemmKernel = {
            kind: 'gemm',
            name: 'gemm',
            nodes: [],
            buffers: [],
            m: m!,
            n: n!,
            k: k!,
            a: 'a',
            aLayout,
            b: 'b',
            bLayout: 'rowmajor',
            ldb,
            bias: 'bias',
            biasPer: 'row',
            c: 'c',
            activation,
            tile: { mr: MR, nr: NR, ...(kc ? { kc } : {}) },
          };
          // B's last row ends where memory ends, only n of its ldb columns are in the matrix
          const bTrim = b.subarray(0, (k! - 1) * ldb + n!);
          const { c } = execute(
            [g],
            {
              a: aLayout === 'packed' ? packGemmA(a, m!, k!, MR) : a,
              bias,
              c: new Float32Array(m! * n!),
              b: bTrim,
            },
            { relaxedSimd, atEnd: 'b' },
          );
          expectClose(c!, reference(a, b, bias, 'row', [m!, n!, k!, ldb], activation), k!);
        },
      );
    }
  }

  it('batch loops (items × groups) move A, B, C and the bias by their strides', () => {
    // a grouped pointwise conv: 2 items, 3 groups, 7 output and 4 input channels per group, 10 pixels
    const [N, G, OC, IC, P] = [2, 3, 7, 4, 10];
    const w = rand(G * OC * IC, 21);
    const x = rand(N * G * IC * P, 22);
    const bias = rand(G * OC, 23);
    const activation: Activation = { kind: 'leaky_relu', alpha: 0.1 };
    const g: GemmKernel = {
      kind: 'gemm',
      name: 'gemm',
      nodes: [],
      buffers: [],
      m: OC,
      n: P,
      k: IC,
      a: 'w',
      aLayout: 'packed',
      b: 'x',
      bLayout: 'rowmajor',
      bias: 'bias',
      biasPer: 'row',
      c: 'y',
      batch: [
        { count: N, a: 0, b: G * IC * P, c: G * OC * P, bias: 0 },
        { count: G, a: packedRows(OC, MR) * IC, b: IC * P, c: OC * P, bias: OC },
      ],
      activation,
      tile: { mr: MR, nr: NR },
    };
    for (const relaxedSimd of [false, true]) {
      const { y } = execute(
        [g],
        { w: packGemmA(w, OC, IC, MR, G), x, bias, y: new Float32Array(N * G * OC * P) },
        { relaxedSimd },
      );
      const want: number[] = [];
      for (let n = 0; n < N; n++)
        for (let gr = 0; gr < G; gr++)
          want.push(
            ...reference(w, x, bias, 'row', [OC, P, IC, P], activation, {
              a: gr * OC * IC,
              b: (n * G + gr) * IC * P,
              bias: gr * OC,
            }),
          );
      expectClose(y!, want, IC);
    }
  });

  it.each([
    [9, 21, 33],
    [4, 3, 6],
    [12, 16, 40],
  ])('packed B with a per-column bias and no activation, m=%i n=%i k=%i (k blocks of 8)', (m, n, k) => {
    const a = rand(m * k, 31);
    const b = rand(k * n, 32);
    const bias = rand(n, 33);
    const g: GemmKernel = {
      kind: 'gemm',
      name: 'gemm',
      nodes: [],
      buffers: [],
      m,
      n,
      k,
      a: 'a',
      aLayout: 'rowmajor',
      b: 'bp',
      bLayout: 'packed',
      bias: 'bias',
      biasPer: 'column',
      c: 'c',
      activation: { kind: 'none' },
      tile: { mr: MR, nr: NR, kc: 8 },
    };
    const { c } = execute([g], {
      a,
      bp: packGemmB(b, k, n, NR),
      bias: padBias(bias, n, NR),
      c: new Float32Array(m * n),
    });
    expectClose(c!, reference(a, b, bias, 'column', [m, n, k, n], { kind: 'none' }), k);
  });

  it('without a bias the accumulators start at zero', () => {
    const [m, n, k] = [6, 12, 5];
    const a = rand(m * k, 41);
    const b = rand(k * n, 42);
    const g: GemmKernel = {
      kind: 'gemm',
      name: 'gemm',
      nodes: [],
      buffers: [],
      m,
      n,
      k,
      a: 'a',
      aLayout: 'rowmajor',
      b: 'b',
      bLayout: 'rowmajor',
      biasPer: 'row',
      c: 'c',
      activation: { kind: 'relu' },
      tile: { mr: MR, nr: NR },
    };
    const { c } = execute([g], { a, b, c: new Float32Array(m * n) });
    const want = reference(a, b, undefined, 'row', [m, n, k, n], { kind: 'relu' });
    expectClose(c!, want, k);
    expect(want.some((v) => v === 0) && want.some((v) => v > 0)).toBe(true);
  });
});
