import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import {
  type Affine,
  type GemmKernel,
  type Kernel,
  type LoopKernel,
  affine,
} from '../../../compiler/kernel/ir.js';
import { packGemmB, padBias } from '../../../compiler/kernel/pack.js';
import { renderWasm } from '../../../targets/wasm/render.js';
import { seededRandom } from '../../helpers/random.js';

// Node 20 has relaxed SIMD behind a flag; set it before any module using it is compiled.
setFlagsFromString('--experimental-wasm-relaxed-simd');

/** Lay buffers out one after another (16-byte aligned), run the module, return the memory. */
function execute(
  kernels: Kernel[],
  buffers: Record<string, Float32Array>,
  relaxedSimd = false,
): Record<string, Float32Array> {
  const addresses = new Map<string, number>();
  let at = 0;
  for (const [name, data] of Object.entries(buffers)) {
    addresses.set(name, at);
    at += Math.ceil((data.length * 4) / 16) * 16;
  }
  const bytes = renderWasm(kernels, addresses, { relaxedSimd, optimize: process.env.KILN_NO_OPT !== '1' });
  const memory = new WebAssembly.Memory({ initial: Math.ceil((at + 64) / 65536) });
  for (const [name, data] of Object.entries(buffers))
    new Float32Array(memory.buffer, addresses.get(name)!, data.length).set(data);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  (instance.exports.run as () => void)();
  const out: Record<string, Float32Array> = {};
  for (const [name, data] of Object.entries(buffers))
    out[name] = new Float32Array(memory.buffer, addresses.get(name)!, data.length).slice();
  return out;
}

const rand = (n: number, seed: number, lo = -1, hi = 1) => {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
};
const at = (c: number, ...terms: [string, number][]): Affine => affine(c, ...terms);

describe('WASM renderer: loop kernels', () => {
  it.each([false, true])(
    'elementwise add+relu with broadcasting, vectorised with a scalar tail (vector=%s)',
    (vector) => {
      // y[i, j] = max(x[i, j] + b[j], 0) for a 3x10 x and a 10-element b
      const k: LoopKernel = {
        kind: 'loops',
        name: 'add_relu',
        nodes: ['add', 'relu'],
        buffers: [],
        body: [
          {
            k: 'loop',
            v: 'i',
            n: 3,
            body: [
              {
                k: 'loop',
                v: 'j',
                n: 10,
                vector,
                body: [
                  {
                    k: 'store',
                    buf: 'y',
                    at: at(0, ['i', 10], ['j', 1]),
                    value: {
                      k: 'bin',
                      op: 'max',
                      a: {
                        k: 'bin',
                        op: 'add',
                        a: { k: 'load', buf: 'x', at: at(0, ['i', 10], ['j', 1]) },
                        b: { k: 'load', buf: 'b', at: at(0, ['j', 1]) },
                      },
                      b: { k: 'const', v: 0 },
                    },
                  },
                ],
              },
            ],
          },
        ],
      };
      const x = rand(30, 1);
      const b = rand(10, 2);
      const { y } = execute([k], { x, b, y: new Float32Array(30) });
      const want = Float32Array.from(x, (v, i) => Math.max(Math.fround(v + b[i % 10]!), 0));
      expect(Array.from(y!)).toEqual(Array.from(want));
    },
  );

  it('reduces with accumulators (row sums and a strided column read)', () => {
    // s[i] = sum_j x[i, j];  t[j] = x[0, j] * 2 read with a vector loop over a stride-1 index
    const k: LoopKernel = {
      kind: 'loops',
      name: 'rowsum',
      nodes: [],
      buffers: [],
      body: [
        {
          k: 'loop',
          v: 'i',
          n: 4,
          vector: true,
          body: [
            { k: 'set', acc: 's', value: { k: 'const', v: 0 } },
            {
              k: 'loop',
              v: 'j',
              n: 5,
              body: [
                {
                  k: 'set',
                  acc: 's',
                  value: {
                    k: 'bin',
                    op: 'add',
                    a: { k: 'acc', name: 's' },
                    b: { k: 'load', buf: 'x', at: at(0, ['i', 5], ['j', 1]) },
                  },
                },
              ],
            },
            { k: 'store', buf: 's', at: at(0, ['i', 1]), value: { k: 'acc', name: 's' } },
          ],
        },
      ],
    };
    const x = rand(20, 3);
    const { s } = execute([k], { x, s: new Float32Array(4) });
    for (let i = 0; i < 4; i++) {
      let want = 0;
      for (let j = 0; j < 5; j++) want = Math.fround(want + x[i * 5 + j]!);
      expect(s![i]).toBe(want);
    }
  });

  it.each(['exp', 'log', 'tanh', 'sigmoid', 'erf'] as const)(
    '%s matches float64 math within 2e-7 relative (+1e-7 absolute)',
    (op) => {
      const ref = {
        exp: Math.exp,
        log: Math.log,
        tanh: Math.tanh,
        sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
        erf: erf64,
      }[op];
      const lo = op === 'log' ? 1e-6 : op === 'exp' ? -80 : -8;
      const hi = op === 'log' ? 1e6 : op === 'exp' ? 80 : 8;
      const x =
        op === 'log'
          ? Float32Array.from(rand(1001, 4), (u) =>
              Math.exp(Math.log(lo) + ((u + 1) / 2) * Math.log(hi / lo)),
            )
          : rand(1001, 4, lo, hi);
      const k: LoopKernel = {
        kind: 'loops',
        name: op,
        nodes: [],
        buffers: [],
        body: [
          {
            k: 'loop',
            v: 'i',
            n: x.length,
            vector: true,
            body: [
              {
                k: 'store',
                buf: 'y',
                at: at(0, ['i', 1]),
                value: { k: 'un', op, a: { k: 'load', buf: 'x', at: at(0, ['i', 1]) } },
              },
            ],
          },
        ],
      };
      const { y } = execute([k], { x, y: new Float32Array(x.length) });
      let worst = 0;
      for (let i = 0; i < x.length; i++) {
        const want = ref(x[i]!);
        const err = Math.abs(y![i]! - want) / (Math.abs(want) * 2e-7 + 1e-7);
        worst = Math.max(worst, err);
      }
      // A&S 7.1.26 is accurate to 1.5e-7 absolute, a little more than float32 rounding near erf's tails.
      expect(worst).toBeLessThanOrEqual(op === 'erf' ? 3 : 4);
    },
  );
});

describe('WASM renderer: GEMM template', () => {
  it.each([
    [5, 8, 3, false],
    [7, 13, 11, false],
    [16, 24, 32, true],
    [1, 1000, 512, true],
    [11, 5, 7, true],
  ])(
    'C = relu(A·B + bias) for m=%i n=%i k=%i (relaxed FMA: %s) matches a float64 reference',
    (m, n, kk, relaxed) => {
      const a = rand(m * kk, 5);
      const b = rand(kk * n, 6);
      const bias = rand(n, 7);
      const g: GemmKernel = {
        kind: 'gemm',
        name: 'gemm',
        nodes: ['gemm'],
        buffers: [],
        m,
        n,
        k: kk,
        a: 'a',
        aLayout: 'rowmajor',
        b: 'bp',
        bLayout: 'packed',
        bias: 'bias',
        biasPer: 'column',
        c: 'c',
        activation: { kind: 'relu' },
        tile: { mr: 5, nr: 8 },
      };
      const { c } = execute(
        [g],
        { a, bp: packGemmB(b, kk, n, 8), bias: padBias(bias, n, 8), c: new Float32Array(m * n) },
        relaxed,
      );
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let want = bias[j]!;
          for (let p = 0; p < kk; p++) want += a[i * kk + p]! * b[p * n + j]!;
          want = Math.max(want, 0);
          expect(Math.abs(c![i * n + j]! - want)).toBeLessThanOrEqual(
            1e-5 * (1 + Math.abs(want)) * Math.sqrt(kk),
          );
        }
      }
    },
  );
});

/** erf in float64 (series / continued fraction), independent of the code under test. */
function erf64(x: number): number {
  const s = Math.sign(x);
  const z = Math.abs(x);
  if (z < 2.5) {
    let sum = z;
    let term = z;
    for (let n = 1; n < 80; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return (s * 2 * sum) / Math.sqrt(Math.PI);
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (z + f);
  return s * (1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f));
}
