/**
 * A measured WebAssembly SIMD peak for this machine, one core: a module whose loop runs independent
 * f32x4 chains on registers only (no memory traffic), as mul-then-add and as relaxed_madd (FMA), so
 * GEMM efficiency can be stated as a fraction of it.
 *   npx tsx bench/simd-peak.ts      (re-runs itself with --no-liftoff --experimental-wasm-relaxed-simd)
 */
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import binaryen from 'binaryen';
import { hasRelaxedSimd } from '../runtime/wasm/features.js';
import { respawnWithBenchFlags } from './flags.js';
import { median } from './stats.js';

export type PeakOp = 'mul+add' | 'relaxed_madd';

/** Independent accumulator chains tried; the peak is the best of them (enough to hide FMA latency). */
export const PEAK_CHAINS = [8, 12, 16];
/** Copies of all chains per loop iteration (amortises the loop counter and branch). */
const UNROLL = 4;

/**
 * Build `peak(iters: i32, a: f32, b: f32) -> f32`: `chains` v128 accumulators, each updated
 * acc = acc·a + b per step, UNROLL steps per iteration; returns lane 0 summed so nothing is dead.
 * FLOPs per call: iters · UNROLL · chains · 4 lanes · 2.
 */
export function peakModule(op: PeakOp, chains: number): Uint8Array {
  const m = new binaryen.Module();
  try {
    m.setFeatures(binaryen.Features.SIMD128 | (op === 'relaxed_madd' ? binaryen.Features.RelaxedSIMD : 0));
    const { i32, f32, v128 } = binaryen;
    const [ITERS, A, B] = [0, 1, 2];
    const VA = 3;
    const VB = 4;
    const acc = (k: number) => 5 + k;
    const get = (i: number) => m.local.get(i, v128);
    const step = (k: number) => {
      if (op === 'mul+add') return m.f32x4.add(m.f32x4.mul(get(acc(k)), get(VA)), get(VB));
      // binaryen.js has no wrapper for relaxed_madd; call the C API as targets/wasm/render.ts does
      const api = binaryen as unknown as {
        _BinaryenSIMDTernary: (...a: unknown[]) => number;
        RelaxedMaddVecF32x4: number;
      };
      return api._BinaryenSIMDTernary(
        (m as unknown as { ptr: number }).ptr,
        api.RelaxedMaddVecF32x4,
        get(acc(k)),
        get(VA),
        get(VB),
      );
    };
    const body: number[] = [];
    for (let u = 0; u < UNROLL; u++) for (let k = 0; k < chains; k++) body.push(m.local.set(acc(k), step(k)));
    body.push(m.local.set(ITERS, m.i32.sub(m.local.get(ITERS, i32), m.i32.const(1))));
    body.push(m.br('next', m.i32.gt_s(m.local.get(ITERS, i32), m.i32.const(0))));
    let sum = m.f32.const(0);
    for (let k = 0; k < chains; k++) sum = m.f32.add(sum, m.f32x4.extract_lane(get(acc(k)), 0));
    m.addFunction(
      'peak',
      binaryen.createType([i32, f32, f32]),
      f32,
      [v128, v128, ...new Array<number>(chains).fill(v128)],
      m.block(null, [
        m.local.set(VA, m.f32x4.splat(m.local.get(A, f32))),
        m.local.set(VB, m.f32x4.splat(m.local.get(B, f32))),
        ...Array.from({ length: chains }, (_, k) =>
          m.local.set(acc(k), m.f32x4.splat(m.f32.const(k / chains))),
        ),
        m.loop('next', m.block(null, body)),
        m.return(sum),
      ]),
    );
    m.addFunctionExport('peak', 'peak');
    if (!m.validate()) throw new Error('internal error: SIMD peak module does not validate');
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

export interface PeakResult {
  op: PeakOp;
  /** Median GFLOP/s (wall clock) of the trials at the best chain count, one core. */
  gflops: number;
  /**
   * The same per second of this process's CPU time (process.cpuUsage): on a shared machine this is
   * what the core does while the benchmark holds it, the better figure to state efficiency against.
   */
  gflopsCpu: number;
  chains: number;
  /** Median wall-clock GFLOP/s per chain count tried. */
  byChains: Record<number, number>;
}

export interface SimdPeak {
  mulAdd: PeakResult;
  /** Undefined when the engine has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd). */
  relaxedMadd?: PeakResult;
}

/** GFLOP/s of one module: warm up until V8's optimising tier runs it, then `trials` timed calls of ~`trialMs`. */
export async function timePeak(
  bytes: Uint8Array,
  chains: number,
  trials: number,
  trialMs: number,
): Promise<{ wall: number; cpu: number }> {
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes));
  const peak = instance.exports.peak as unknown as (iters: number, a: number, b: number) => number;
  // a, b chosen so every chain converges to 1 (no overflow, no denormals)
  const call = (iters: number) => peak(iters, 0.999, 0.001);
  const flopsPerIter = UNROLL * chains * 4 * 2;
  // warm-up: many short calls (a running wasm call never switches tier; the next call does)
  let iters = 1000;
  const w0 = performance.now();
  while (performance.now() - w0 < 150) call(iters);
  // calibrate to ~trialMs per call
  for (;;) {
    const t0 = performance.now();
    call(iters);
    const ms = performance.now() - t0;
    if (ms > trialMs / 4) {
      iters = Math.max(1, Math.round((iters * trialMs) / ms));
      break;
    }
    iters *= 4;
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  let sink = 0;
  for (let t = 0; t < trials; t++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    sink += call(iters);
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    wall.push((iters * flopsPerIter) / s / 1e9);
    cpu.push((iters * flopsPerIter) / ((c.user + c.system) / 1e6) / 1e9);
  }
  if (!Number.isFinite(sink)) throw new Error('internal error: SIMD peak chains diverged');
  return { wall: median(wall), cpu: median(cpu) };
}

async function measureOp(op: PeakOp, trials: number, trialMs: number): Promise<PeakResult> {
  const byChains: Record<number, number> = {};
  const cpu: Record<number, number> = {};
  for (const chains of PEAK_CHAINS) {
    const r = await timePeak(peakModule(op, chains), chains, trials, trialMs);
    byChains[chains] = r.wall;
    cpu[chains] = r.cpu;
  }
  const chains = PEAK_CHAINS.reduce((best, c) => (byChains[c]! > byChains[best]! ? c : best));
  return { op, gflops: byChains[chains]!, gflopsCpu: cpu[chains]!, chains, byChains };
}

/** The machine's measured single-core WASM SIMD peak, mul+add and (when available) relaxed FMA. */
export async function measureSimdPeak(
  options: { trials?: number; trialMs?: number } = {},
): Promise<SimdPeak> {
  const trials = options.trials ?? 7;
  const trialMs = options.trialMs ?? 100;
  const mulAdd = await measureOp('mul+add', trials, trialMs);
  const relaxedMadd = hasRelaxedSimd() ? await measureOp('relaxed_madd', trials, trialMs) : undefined;
  return { mulAdd, ...(relaxedMadd ? { relaxedMadd } : {}) };
}

async function main(): Promise<void> {
  const code = await respawnWithBenchFlags();
  if (code !== undefined) {
    process.exitCode = code;
    return;
  }
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  );
  const peak = await measureSimdPeak();
  for (const r of [peak.mulAdd, peak.relaxedMadd]) {
    if (!r) {
      console.log('relaxed_madd: not available in this engine');
      continue;
    }
    const per = Object.entries(r.byChains)
      .map(([c, g]) => `${c} chains ${g.toFixed(1)}`)
      .join(', ');
    console.log(
      `${r.op.padEnd(12)} ${r.gflops.toFixed(1)} GFLOP/s per core wall clock, ${r.gflopsCpu.toFixed(1)} per CPU second ` +
        `(median of trials; wall by chains: ${per})`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
