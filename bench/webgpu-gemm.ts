/**
 * Kiln's WebGPU GEMM throughput: C = A·B, N×N×N fp32, through the webgpu target's GEMM shader as a
 * compiled model (MatMul of input A and weights B) run with GPU-resident input and output (no upload,
 * no readback), timed to `queue.onSubmittedWorkDone()`. Checks 16 entries of C against float64 first.
 *   npx tsx bench/webgpu-gemm.ts [--n 2048] [--runs 10]   (prints one line: N, median and best GFLOP/s)
 */
import { oneNodeModel } from './tiny-model.js';
import { parseArgs } from 'node:util';
import { randomTensor, seededRandom } from '../runtime/prng.js';
import { GpuTensor } from '../runtime/gpu-tensor.js';
import { BufferUsage } from '../runtime/webgpu/flags.js';
import { nodeWebGpu } from '../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../runtime/webgpu/session.js';
import { compileWebGpu, webGpuArtifact } from '../targets/webgpu/compile.js';
import { median } from './stats.js';

export interface GemmResult {
  n: number;
  runs: number;
  medianMs: number;
  bestMs: number;
  medianGflops: number;
  bestGflops: number;
}

export async function webGpuGemm(n: number, runs: number): Promise<GemmResult> {
  const rng = seededRandom(1);
  const a = randomTensor('float32', [n, n], rng);
  const b = randomTensor('float32', [n, n], rng);
  const artifact = await webGpuArtifact(
    compileWebGpu(
      oneNodeModel({ op: 'MatMul', inputs: { a: [n, n] }, outputs: { c: [n, n] }, initializers: { b } }),
      { selfTest: false },
    ),
  );
  const adapter = await (await nodeWebGpu()).requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  try {
    const session = await WebGpuSession.create(artifact, { device, preferredOutputLocation: 'gpu-buffer' });
    const input = device.createBuffer({
      size: n * n * 4,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(input, 0, a.data as Float32Array);
    const feeds = { a: new GpuTensor('float32', [n, n], input) };
    const once = async () => {
      const out = (await session.runWithGpuOutputs(feeds)).c as GpuTensor;
      await device.queue.onSubmittedWorkDone();
      return out;
    };
    const first = await once();
    const c = (await first.download!()) as Float32Array;
    first.dispose!();
    const A = a.data as Float32Array;
    const B = b.data as Float32Array;
    for (let t = 0; t < 16; t++) {
      const i = Math.floor(rng() * n);
      const j = Math.floor(rng() * n);
      let s = 0;
      for (let p = 0; p < n; p++) s += A[i * n + p]! * B[p * n + j]!;
      if (Math.abs(c[i * n + j]! - s) > 1e-3 * (1 + Math.abs(s)))
        throw new Error(`GEMM ${n}³: C[${i},${j}] = ${c[i * n + j]}, expected ${s}`);
    }
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const out = await once();
      times.push(performance.now() - t0);
      out.dispose!();
    }
    session.release();
    input.destroy();
    const gflops = (ms: number) => (2 * n * n * n) / (ms * 1e6);
    const medianMs = median(times);
    const bestMs = Math.min(...times);
    return { n, runs, medianMs, bestMs, medianGflops: gflops(medianMs), bestGflops: gflops(bestMs) };
  } finally {
    device.destroy();
  }
}

if (process.argv[1]?.replace(/\.[jt]s$/, '').endsWith('webgpu-gemm')) {
  const { values } = parseArgs({
    options: { n: { type: 'string', default: '2048' }, runs: { type: 'string', default: '10' } },
  });
  const r = await webGpuGemm(Number(values.n), Number(values.runs));
  console.log(
    `GEMM ${r.n}³ fp32 (Kiln webgpu, GPU-resident A and C): median ${r.medianMs.toFixed(2)} ms = ` +
      `${r.medianGflops.toFixed(1)} GFLOP/s, best ${r.bestMs.toFixed(2)} ms = ${r.bestGflops.toFixed(1)} GFLOP/s (${r.runs} runs)`,
  );
  process.exit(0);
}
