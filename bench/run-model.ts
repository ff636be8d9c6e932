import { writeFileSync } from 'node:fs';
import { printTable } from '../cli/table.js';
import { benchCompiled, compileForBench } from './model-bench.js';
import { tryStartOrtWeb } from './engines/ort-web.js';
import { startOrtWebGpu } from './engines/ort-web-webgpu.js';
import { gcExposed } from './memory.js';
import type { BenchOptions } from './options.js';
import { engineRows, round } from './report.js';
import type { ModelResult } from './result.js';
import { machineInfo, MEMORY_NOTE } from './machine.js';

/** `kiln bench MODEL`: compile, load, check and time one model; print the tables, write --json. */
export async function benchOneModel(file: string, opts: BenchOptions): Promise<ModelResult> {
  const log = (line: string) => console.log(line);
  const m = machineInfo();
  log(`machine: ${m.cores} × ${m.cpus}, load average ${m.loadAverage.map((x) => x.toFixed(2)).join(' ')}`);
  log(
    `V8 flags: ${m.v8Flags.join(' ') || '(none)'}${gcExposed() ? '' : ' — no --expose-gc, memory deltas include garbage'}`,
  );
  const c = await compileForBench(file, opts.shapes, opts.threads, opts.target, opts.bind);
  const code =
    c.target === 'webgpu'
      ? `${c.compiled.shaders.size} WGSL shaders, ${c.compiled.layout.dispatches.length} dispatches per run`
      : `wasm ${kb(c.compiled.modules.simd.length)} KB (simd) / ${kb(c.compiled.modules.relaxed.length)} KB (relaxed)`;
  const { compiled } = c;
  log(
    `compiled for ${c.target} in ${c.compileSeconds.toFixed(2)} s: ${compiled.lowered.kernels.length} kernels, ${code}, ` +
      `weights ${mb(compiled.weights.length)} MB, arena ${mb(compiled.arena.bytes)} MB vs ${mb(compiled.arena.naiveBytes)} MB naive`,
  );
  let ortWebStartMs: number | undefined;
  if (opts.against.includes('ort-web')) {
    const started = await tryStartOrtWeb(opts.threads);
    if ('ms' in started) {
      ortWebStartMs = started.ms;
      log(`onnxruntime-web runtime start (once per process): ${ortWebStartMs.toFixed(0)} ms`);
    } else {
      log(`WARNING: ${started.error}`);
      opts = { ...opts, against: opts.against.filter((a) => a !== 'ort-web') };
    }
  }
  let ortWebGpuStartMs: number | undefined;
  if (opts.against.includes('ort-web-webgpu')) {
    ortWebGpuStartMs = await startOrtWebGpu();
    log(`onnxruntime-web WebGPU EP start (once per process): ${ortWebGpuStartMs.toFixed(0)} ms`);
  }
  const r = await benchCompiled(c, opts, log);
  log(
    `inputs: ${r.inputs}; ${opts.warmup} warm-up + ${opts.runs} timed rounds, interleaved; threads ${opts.threads}`,
  );
  const { headers, rows } = engineRows(r);
  printTable(headers, rows);
  log(`Kiln speedups are for ${r.kiln}: median of per-round ratios (baseline ms / Kiln ms).`);
  const kilnMemory = c.target === 'webgpu' ? 'Kiln GPU buffers (arena + weights)' : 'Kiln linear memory';
  log(
    `process peak RSS ${round(r.peakRssMB, 0)} MB (compiler included); ${kilnMemory} ${mb(r.compile.memoryBytes)} MB. ${MEMORY_NOTE}`,
  );
  if (!r.verified) log('WARNING: Kiln output does not match onnxruntime-node (rows marked MISMATCH).');
  if (opts.json) {
    writeFileSync(
      opts.json,
      JSON.stringify(
        { machine: m, ortWebStartMs, ortWebGpuStartMs, memoryNote: MEMORY_NOTE, ...r },
        null,
        2,
      ) + '\n',
    );
    log(`wrote ${opts.json}`);
  }
  return r;
}

const kb = (n: number) => (n / 1024).toFixed(0);
const mb = (n: number) => (n / 2 ** 20).toFixed(1);
