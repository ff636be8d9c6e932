/**
 * The example page's script: fetch a .kiln artifact compiled for WebGPU, run it on navigator.gpu on a
 * seeded random input, show timing and outputs, and expose everything as `window.kilnResult` (read by
 * test/examples/webgpu-browser.test.ts). Bundled by build.ts; in an app, import from 'kiln/runtime'.
 */
import { InferenceSession, Tensor } from '../../runtime/index.js';

interface KilnValue {
  type: string;
  dims: number[];
  data: number[];
}

/** What the page leaves on `window.kilnResult` once it is done (ok or not). */
export type KilnResult =
  | {
      ok: true;
      model: string;
      seed: number;
      adapter: { vendor: string; architecture: string; device: string; description: string };
      /** fetch + verify + device + pipelines */
      createMs: number;
      /** first run (may include driver shader compilation) and a second, warm run */
      firstRunMs: number;
      runMs: number;
      inputs: Record<string, KilnValue>;
      outputs: Record<string, KilnValue>;
    }
  | { ok: false; reason: 'no-webgpu' | 'no-adapter' | 'error'; message: string };

declare global {
  interface Window {
    kilnResult?: KilnResult;
  }
}

const $ = (id: string) => document.getElementById(id)!;

/** mulberry32, the generator of `kiln run --seed N` (runtime/prng.ts): the same seed, the same input. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fail(reason: 'no-webgpu' | 'no-adapter' | 'error', message: string): void {
  const status = $('status');
  status.textContent = message;
  status.className = 'error';
  window.kilnResult = { ok: false, reason, message };
}

function summary(name: string, v: KilnValue): string {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of v.data) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  const head = v.data.slice(0, 8).map((x) => x.toPrecision(5));
  return (
    `${name}: ${v.type} [${v.dims.join(',')}]  min ${min.toPrecision(5)}  max ${max.toPrecision(5)}  ` +
    `mean ${(sum / v.data.length).toPrecision(5)}\n  [${head.join(', ')}${v.data.length > 8 ? ', …' : ''}]`
  );
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const model = params.get('model') ?? 'model.kiln';
  const seed = Number(params.get('seed') ?? '0');
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    fail(
      'no-webgpu',
      'WebGPU is not available in this browser (navigator.gpu is missing). Use a browser with WebGPU ' +
        'enabled (Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu) over https or http://localhost.',
    );
    return;
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    fail(
      'no-adapter',
      'WebGPU is present but no GPU adapter was found (navigator.gpu.requestAdapter() gave null).',
    );
    return;
  }
  const info = adapter.info;
  const adapterInfo = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
  };
  $('adapter').textContent = `adapter: ${JSON.stringify(adapterInfo)}`;
  $('status').textContent = `loading ${model}…`;

  const t0 = performance.now();
  const session = await InferenceSession.create(model, { executionProviders: ['webgpu'] });
  const createMs = performance.now() - t0;

  const rng = seededRandom(seed);
  const feeds: Record<string, Tensor> = {};
  const inputs: Record<string, KilnValue> = {};
  for (const meta of session.inputMetadata) {
    if (meta.type !== 'float32')
      throw new Error(`input '${meta.name}' is ${meta.type}; this page feeds float32`);
    const dims = meta.shape.map((d) => (typeof d === 'number' ? d : 1));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng() * 2 - 1;
    feeds[meta.name] = new Tensor('float32', data, dims);
    inputs[meta.name] = { type: 'float32', dims, data: Array.from(data) };
  }

  $('status').textContent = 'running…';
  const t1 = performance.now();
  await session.run(feeds);
  const firstRunMs = performance.now() - t1;
  const t2 = performance.now();
  const results = await session.run(feeds);
  const runMs = performance.now() - t2;
  await session.release();

  const outputs: Record<string, KilnValue> = {};
  for (const [name, t] of Object.entries(results)) {
    outputs[name] = {
      type: t.type,
      dims: [...t.dims],
      data: Array.from(t.data as ArrayLike<number>, Number),
    };
  }
  $('timing').textContent =
    `create ${createMs.toFixed(1)} ms (fetch, verify, device, pipelines)\n` +
    `first run ${firstRunMs.toFixed(1)} ms, second run ${runMs.toFixed(1)} ms`;
  $('outputs').textContent = Object.entries(outputs)
    .map(([name, v]) => summary(name, v))
    .join('\n');
  $('status').textContent = `done: ${model} on WebGPU`;
  window.kilnResult = {
    ok: true,
    model,
    seed,
    adapter: adapterInfo,
    createMs,
    firstRunMs,
    runMs,
    inputs,
    outputs,
  };
}

main().catch((err: unknown) => fail('error', err instanceof Error ? err.message : String(err)));
