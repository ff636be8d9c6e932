import { cpus, loadavg } from 'node:os';
import { BENCH_V8_FLAGS, WEBGPU_BENCH_V8_FLAGS } from './flags.js';

export function machineInfo() {
  const c = cpus();
  return {
    cpus: c[0]?.model ?? 'unknown CPU',
    cores: c.length,
    loadAverage: loadavg(),
    node: process.versions.node,
    v8Flags: process.execArgv.filter((f) => BENCH_V8_FLAGS.includes(f) || WEBGPU_BENCH_V8_FLAGS.includes(f)),
  };
}

export const MEMORY_NOTE =
  'load ΔRSS is the growth of process.memoryUsage().rss (after a forced GC) while an engine was created ' +
  'and ran once, and load Δext the growth of its external memory (ArrayBuffers, WebAssembly memories); ' +
  'all engines share one process, so RSS deltas are rough. Peak RSS is process.resourceUsage().maxRSS of ' +
  'the whole process, the compiler (binaryen) included. Kiln also states its exact linear memory ' +
  '(arena + weights). Node has no performance.measureUserAgentSpecificMemory.';
