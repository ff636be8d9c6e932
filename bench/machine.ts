import { cpus, loadavg } from 'node:os';
import { BENCH_V8_FLAGS } from './flags.js';

export function machineInfo() {
  const c = cpus();
  return {
    cpus: c[0]?.model ?? 'unknown CPU',
    cores: c.length,
    loadAverage: loadavg(),
    node: process.versions.node,
    v8Flags: process.execArgv.filter((f) => BENCH_V8_FLAGS.includes(f)),
  };
}

export const MEMORY_NOTE =
  'load ΔRSS is the growth of process.memoryUsage().rss (after a forced GC) while an engine was created ' +
  'and ran once, all engines sharing one process; peak RSS is process.resourceUsage().maxRSS for the ' +
  'whole process. Kiln also states its exact linear memory (arena + weights). Node has no ' +
  'performance.measureUserAgentSpecificMemory.';
