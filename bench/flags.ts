import { spawn } from 'node:child_process';

/**
 * V8 flags the benchmark runs under. `--no-liftoff`: compile WebAssembly with the optimising tier
 * (TurboFan) up front, so every engine is timed on optimised code instead of whatever V8's lazy
 * tier-up has reached (first-run times then include the optimising compile). Relaxed SIMD is behind a
 * flag in Node 20. `--expose-gc` lets memory snapshots start from a collected heap.
 */
export const BENCH_V8_FLAGS = ['--no-liftoff', '--experimental-wasm-relaxed-simd', '--expose-gc'];

/**
 * For the webgpu target: Kiln runs no WebAssembly there, and onnxruntime-web's WebGPU build (~26 MB
 * of WebAssembly) spends about a minute in the optimising compiler on its first run without
 * `--liftoff-only`; its WebAssembly only schedules GPU work, so the baseline tier costs it little.
 */
export const WEBGPU_BENCH_V8_FLAGS = ['--liftoff-only', '--expose-gc'];

export const benchV8Flags = (target: 'wasm' | 'webgpu') =>
  target === 'webgpu' ? WEBGPU_BENCH_V8_FLAGS : BENCH_V8_FLAGS;

const CHILD_MARK = 'KILN_BENCH_CHILD';

export function hasBenchFlags(
  execArgv: readonly string[] = process.execArgv,
  flags: readonly string[] = BENCH_V8_FLAGS,
): boolean {
  return flags.every((f) => execArgv.includes(f));
}

/**
 * Run this same command again in a child Node with BENCH_V8_FLAGS (V8 reads them at start-up), its
 * output going to ours; resolves to the child's exit code. Returns undefined when this process already
 * has them (so the caller goes on and does the work).
 */
export async function respawnWithBenchFlags(
  flags: readonly string[] = BENCH_V8_FLAGS,
): Promise<number | undefined> {
  if (hasBenchFlags(process.execArgv, flags) || process.env[CHILD_MARK]) return undefined;
  const args = [...flags, ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn(process.execPath, args, {
    stdio: 'inherit',
    env: { ...process.env, [CHILD_MARK]: '1' },
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
