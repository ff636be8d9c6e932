/**
 * GEMM template throughput on this machine: renders one GemmKernel per shape and layout, checks a few
 * outputs against float64, warms up (V8 tiers up lazily), then prints the median GFLOP/s.
 * Both the median and the best run are printed: on a shared machine the best is the steadier figure.
 * Usage: npx tsx bench/gemm.ts [--runs 10] [--kc 0,256,128] [--only label-substring]   (kc 0: no k blocking)
 */
import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--experimental-wasm-relaxed-simd');
// Compile with the optimising tier right away: a single long call never tiers up from Liftoff.
setFlagsFromString('--no-liftoff');
import type { GemmKernel } from '../compiler/kernel/ir.js';
import { packGemmA, packGemmB, padBias } from '../compiler/kernel/pack.js';
import { GEMM_TILE } from '../compiler/kernel/lower/gemm.js';
import { renderWasm } from '../targets/wasm/render.js';

const args = process.argv.slice(2);
const arg = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : d);
const runs = Number(arg('--runs', '10'));
const kcs = arg('--kc', '0,256').split(',').map(Number);
const only = arg('--only', '');
const MR = Number(process.env.GEMM_MR ?? GEMM_TILE.mr); // GEMM_MR=5: compare another tile
const NR = 8;

interface Case {
  label: string;
  m: number;
  n: number;
  k: number;
  /**
   * 'dense': A activation row-major, B packed weights (Gemm/MatMul); 'conv': A packed weights, B row-major
   * activation (im2col); 'conv-packed': A packed weights, B an im2col written in packed panels.
   */
  form: 'dense' | 'conv' | 'conv-packed';
}

const cases: Case[] = [
  { label: '512³', m: 512, n: 512, k: 512, form: 'dense' },
  { label: '512³', m: 512, n: 512, k: 512, form: 'conv' },
  { label: 'resnet18 layer1 3×3', m: 64, n: 3136, k: 576, form: 'conv' },
  { label: 'resnet18 layer2 3×3', m: 128, n: 784, k: 1152, form: 'conv' },
  { label: 'resnet18 layer3 3×3', m: 256, n: 196, k: 2304, form: 'conv' },
  { label: 'resnet18 layer4 3×3', m: 512, n: 49, k: 4608, form: 'conv' },
  { label: 'resnet18 layer1 3×3', m: 64, n: 3136, k: 576, form: 'conv-packed' },
  { label: 'resnet18 stem 7×7', m: 64, n: 12544, k: 147, form: 'conv' },
  { label: 'resnet18 stem 7×7', m: 64, n: 12544, k: 147, form: 'conv-packed' },
  { label: 'PP-OCRv4 det 3×3', m: 24, n: 25600, k: 864, form: 'conv' },
  { label: 'PP-OCRv4 det 3×3', m: 24, n: 25600, k: 864, form: 'conv-packed' },
  { label: 'mobilenet_v2 1×1', m: 96, n: 12544, k: 16, form: 'conv' },
  { label: 'mobilenet_v2 1×1', m: 192, n: 784, k: 32, form: 'conv' },
];

const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function run(c: Case, relaxedSimd: boolean, kc: number): { median: number; best: number } {
  const a = rand(c.m * c.k);
  const b = rand(c.k * c.n);
  const bias = rand(c.form === 'dense' ? c.n : c.m);
  const bufs: Record<string, Float32Array> =
    c.form === 'dense'
      ? { a, b: packGemmB(b, c.k, c.n, NR), bias: padBias(bias, c.n, NR) }
      : { a: packGemmA(a, c.m, c.k, MR), b: c.form === 'conv' ? b : packGemmB(b, c.k, c.n, NR), bias };
  bufs.c = new Float32Array(c.m * c.n);
  const g: GemmKernel = {
    kind: 'gemm',
    name: 'gemm',
    nodes: [],
    buffers: [],
    m: c.m,
    n: c.n,
    k: c.k,
    a: 'a',
    aLayout: c.form === 'dense' ? 'rowmajor' : 'packed',
    b: 'b',
    bLayout: c.form === 'conv' ? 'rowmajor' : 'packed',
    bias: 'bias',
    biasPer: c.form === 'dense' ? 'column' : 'row',
    c: 'c',
    activation: { kind: 'none' },
    tile: { mr: MR, nr: NR, ...(kc ? { kc } : {}) },
  };
  const addresses = new Map<string, number>();
  let at = 16;
  for (const [name, d] of Object.entries(bufs)) {
    addresses.set(name, at);
    at += Math.ceil((d.length * 4) / 16) * 16;
  }
  const bytes = renderWasm([g], addresses, { relaxedSimd, optimize: true });
  const memory = new WebAssembly.Memory({ initial: Math.ceil(at / 65536) });
  for (const [name, d] of Object.entries(bufs))
    new Float32Array(memory.buffer, addresses.get(name)!, d.length).set(d);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const go = inst.exports.run as () => void;
  go();
  // spot-check a few entries against float64
  const out = new Float32Array(memory.buffer, addresses.get('c')!, c.m * c.n);
  for (let t = 0; t < 16; t++) {
    const i = Math.floor(Math.random() * c.m);
    const j = Math.floor(Math.random() * c.n);
    let s = bias[c.form === 'dense' ? j : i]!;
    for (let p = 0; p < c.k; p++) s += a[i * c.k + p]! * b[p * c.n + j]!;
    if (Math.abs(out[i * c.n + j]! - s) > 1e-3 * (1 + Math.abs(s)))
      throw new Error(`${c.label}: C[${i},${j}] = ${out[i * c.n + j]}, expected ${s}`);
  }
  const w0 = performance.now();
  while (performance.now() - w0 < 1000) go();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    go();
    times.push(performance.now() - t);
  }
  const gflops = (ms: number) => (2 * c.m * c.n * c.k) / (ms * 1e6);
  return { median: gflops(median(times)), best: gflops(Math.min(...times)) };
}

console.log('shape\tform\tm\tn\tk\tkc\tplain GFLOP/s (median/best)\trelaxed GFLOP/s (median/best)');
const fmt = (r: { median: number; best: number }) => `${r.median.toFixed(1)} / ${r.best.toFixed(1)}`;
for (const c of cases.filter((x) => x.label.includes(only))) {
  for (const kc of kcs) {
    if (kc && kc >= c.k) continue;
    const plain = run(c, false, kc);
    const relaxed = run(c, true, kc);
    console.log(
      `${c.label}\t${c.form}\t${c.m}\t${c.n}\t${c.k}\t${kc || '-'}\t${fmt(plain)}\t${fmt(relaxed)}`,
    );
  }
}
