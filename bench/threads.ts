/**
 * Thread scaling without a whole model around it: first a control (how many cores this process really
 * gets now: the same busy loop on one worker, then on N at once), then one GEMM-only model run on 1
 * and N threads, interleaved, with the median of per-round ratios. On a shared machine read the
 * scaling against the control: N threads cannot beat the cores the control found.
 * Usage: npx tsx bench/threads.ts [--threads 2] [--runs 20] [--size 256x1024x1024]
 */
import { oneNodeModel } from './tiny-model.js';
import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--no-liftoff'); // time optimised code from the first call (as kiln bench does)
import { Worker } from 'node:worker_threads';
import { WasmSession } from '../runtime/wasm/session.js';
import { compileWasm, wasmArtifact } from '../targets/wasm/compile.js';
import { median } from './stats.js';
import { randomTensor, seededRandom } from '../runtime/prng.js';

const args = process.argv.slice(2);
const arg = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : d);
const threads = Number(arg('--threads', '2'));
const runs = Number(arg('--runs', '20'));
const [M, K, N] = arg('--size', '256x1024x1024').split('x').map(Number) as [number, number, number];

/** Effective cores: N × (one job's time) / (N jobs at once). */
async function effectiveCores(n: number): Promise<number> {
  const src = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', () => { let s = 0; for (let i = 0; i < 2e8; i++) s += i & 7; parentPort.postMessage(s); });`;
  const ws = Array.from({ length: n }, () => new Worker(src, { eval: true }));
  const job = (w: Worker) =>
    new Promise((resolve) => {
      w.once('message', resolve);
      w.postMessage(0);
    });
  const ratios: number[] = [];
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    await job(ws[0]!);
    const one = performance.now() - t;
    t = performance.now();
    await Promise.all(ws.map(job));
    ratios.push((n * one) / (performance.now() - t));
  }
  await Promise.all(ws.map((w) => w.terminate()));
  return median(ratios);
}

/** y = x · w, w a constant: the whole model is one GEMM kernel (one barrier per run). */
const gemmModel = () =>
  oneNodeModel({
    op: 'MatMul',
    inputs: { x: [M, K] },
    outputs: { y: [M, N] },
    initializers: { w: randomTensor('float32', [K, N], seededRandom(1)) },
  });

const cores = await effectiveCores(threads);
console.log(`control: ${threads} busy workers at once get ${cores.toFixed(2)} cores' worth of CPU now`);
const bytes = await wasmArtifact(compileWasm(gemmModel(), { threads }));
const one = await WasmSession.create(bytes, { threads: 1 });
const many = await WasmSession.create(bytes, { threads });
const x = randomTensor('float32', [M, K], seededRandom(2));
const t1: number[] = [];
const tn: number[] = [];
for (let r = 0; r < runs + 3; r++) {
  let t = performance.now();
  await one.run({ x });
  const a = performance.now() - t;
  t = performance.now();
  await many.run({ x });
  const b = performance.now() - t;
  if (r >= 3) {
    t1.push(a);
    tn.push(b);
  }
}
await many.release();
const gflop = (2 * M * N * K) / 1e9;
console.log(
  `GEMM ${M}×${K}×${N} (${one.variant}): 1 thread ${median(t1).toFixed(2)} ms (${(gflop / (median(t1) / 1000)).toFixed(1)} GFLOP/s), ` +
    `${threads} threads ${median(tn).toFixed(2)} ms; speedup (median of per-round ratios) ` +
    `${median(t1.map((a, i) => a / tn[i]!)).toFixed(2)}x`,
);
