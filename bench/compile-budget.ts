/**
 * `npm run bench:budget`: the CPU-WASM issue's budget per model — compile time, model.wasm size, and
 * load plus first run of the .kiln — each measured in a fresh process (a cold binaryen for the compile,
 * a cold engine for the load, as `kiln compile` and an app starting up see them). Prints a table and
 * writes bench/results/compile-budget-<YYYY-MM-DD>.json and .md.
 *   npm run bench:budget -- [--models mobilenet_v2,resnet18] [--repeat N (3)]
 * Compile and load are timed wall-clock (median of the repeats) with the process CPU time beside them
 * (it includes V8's background compile threads); the load average is recorded because the machine is
 * shared.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { loadModel } from '../compiler/onnx/import.js';
import { readArtifact } from '../runtime/artifact/index.js';
import { KilnError } from '../runtime/errors.js';
import { InferenceSession } from '../runtime/inference-session.js';
import { Tensor } from '../runtime/ort-tensor.js';
import { compileWasm, wasmArtifact } from '../targets/wasm/compile.js';
import { compileWasmEagerly } from '../cli/eager-wasm.js';
import { PROJECT_ROOT } from './corpus.js';
import { machineInfo } from './machine.js';
import { markdownTable, round } from './report.js';
import { median } from './stats.js';

/** The budget (mobilenet_v2); applied to every model measured so the table shows headroom. */
export const BUDGET = { compileS: 5, wasmKB: 300, loadFirstRunMs: 300 };

interface CompileSample {
  compileS: number;
  compileCpuS: number;
  wasmBytes: number;
  relaxedBytes: number;
  kernels: number;
}
interface LoadSample {
  verifyMs: number;
  loadMs: number;
  firstRunMs: number;
}

async function compileChild(model: string, out: string): Promise<CompileSample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const compiled = compileWasm(loadModel(model));
  const bytes = await wasmArtifact(compiled, {
    sourceBytes: readFileSync(model),
    sourceName: basename(model),
  });
  const compileS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  writeFileSync(out, bytes);
  return {
    compileS,
    compileCpuS: (cpu.user + cpu.system) / 1e6,
    wasmBytes: compiled.modules.simd.length,
    relaxedBytes: compiled.modules.relaxed.length,
    kernels: compiled.lowered.kernels.length,
  };
}

async function loadChild(artifact: string, eager: boolean): Promise<LoadSample> {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (eager) compileWasmEagerly();
  const bytes = new Uint8Array(readFileSync(artifact));
  const v0 = performance.now();
  await readArtifact(bytes); // hashing alone, for the breakdown
  const verifyMs = performance.now() - v0;
  const t0 = performance.now();
  const session = await InferenceSession.create(bytes);
  const t1 = performance.now();
  const feeds: Record<string, Tensor> = {};
  for (const io of session.manifest.inputs) {
    const dims = io.shape.map(Number);
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[io.name] = new Tensor(
      'float32',
      Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
      dims,
    );
  }
  await session.run(feeds);
  const t2 = performance.now();
  return {
    verifyMs,
    loadMs: t1 - t0,
    firstRunMs: t2 - t1,
  };
}

function child<T>(mode: string, ...args: string[]): T {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [...process.execArgv, self, `--${mode}`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'mobilenet_v2' },
      repeat: { type: 'string', default: '3' },
      compile: { type: 'string' },
      load: { type: 'string' },
      eager: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  if (values.compile)
    return void console.log(JSON.stringify(await compileChild(values.compile, values.out!)));
  if (values.load) return void console.log(JSON.stringify(await loadChild(values.load, values.eager)));

  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1)
    throw new KilnError(`--repeat ${values.repeat}`, { expected: 'an integer ≥ 1' });
  const dir = mkdtempSync(join(tmpdir(), 'kiln-budget-'));
  const results = [];
  const loadBefore = machineInfo().loadAverage;
  try {
    for (const name of values.models.split(',')) {
      const model = join(PROJECT_ROOT, '../shared/models/torch', `${name}.onnx`);
      const artifact = join(dir, `${name}.kiln`);
      const compiles: CompileSample[] = [];
      const loads: LoadSample[] = [];
      const eagerLoads: LoadSample[] = [];
      for (let i = 0; i < repeat; i++) {
        compiles.push(child<CompileSample>('compile', model, '--out', artifact));
        loads.push(child<LoadSample>('load', artifact));
        eagerLoads.push(child<LoadSample>('load', artifact, '--eager'));
      }
      const loadFirstRun = loads.map((l) => l.loadMs + l.firstRunMs);
      results.push({
        model: name,
        compileS: round(median(compiles.map((c) => c.compileS)), 2),
        compileCpuS: round(median(compiles.map((c) => c.compileCpuS)), 2),
        wasmKB: round(compiles[0]!.wasmBytes / 1000, 1),
        relaxedKB: round(compiles[0]!.relaxedBytes / 1000, 1),
        kernels: compiles[0]!.kernels,
        verifyMs: round(median(loads.map((l) => l.verifyMs)), 0),
        loadMs: round(median(loads.map((l) => l.loadMs)), 0),
        firstRunMs: round(median(loads.map((l) => l.firstRunMs)), 0),
        loadFirstRunMs: round(median(loadFirstRun), 0),
        eagerLoadMs: round(median(eagerLoads.map((l) => l.loadMs)), 0),
        eagerFirstRunMs: round(median(eagerLoads.map((l) => l.firstRunMs)), 0),
        eagerLoadFirstRunMs: round(median(eagerLoads.map((l) => l.loadMs + l.firstRunMs)), 0),
        samples: { compiles, loads, eagerLoads },
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const machine = { ...machineInfo(), loadAverageBefore: loadBefore };
  const ok = (v: number, max: number) => `${v} ${v <= max ? '✓' : '✗'}`;
  const table = markdownTable(
    [
      'model',
      `compile s (≤${BUDGET.compileS})`,
      'compile CPU s',
      `model.wasm KB (≤${BUDGET.wasmKB})`,
      'relaxed KB',
      'kernels',
      'hash check ms',
      'load ms',
      'first run ms',
      `load + first run ms (≤${BUDGET.loadFirstRunMs})`,
      'eager: load ms',
      'eager: first run ms',
      `eager: load + first run ms (≤${BUDGET.loadFirstRunMs})`,
    ],
    results.map((r) => [
      r.model,
      ok(r.compileS, BUDGET.compileS),
      r.compileCpuS,
      ok(r.wasmKB, BUDGET.wasmKB),
      r.relaxedKB,
      r.kernels,
      r.verifyMs,
      r.loadMs,
      r.firstRunMs,
      ok(r.loadFirstRunMs, BUDGET.loadFirstRunMs),
      r.eagerLoadMs,
      r.eagerFirstRunMs,
      ok(r.eagerLoadFirstRunMs, BUDGET.loadFirstRunMs),
    ]),
  );
  const note = `"eager": V8 compiles the model's WebAssembly fully optimised before the first run (cli/eager-wasm.ts, as \`kiln run\` and \`kiln agent\` do); otherwise V8's default lazy, tiered compilation. Median of ${repeat} fresh processes each; load average ${machine.loadAverage.map((x) => x.toFixed(2)).join(' ')} (${machine.cores} cores, ${machine.cpus}, Node ${machine.node}).`;
  console.log(`${table}\n\n${note}`);
  const date = new Date().toISOString().slice(0, 10);
  const outDir = join(PROJECT_ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, `compile-budget-${date}.json`),
    JSON.stringify({ date, budget: BUDGET, machine, results }, null, 2) + '\n',
  );
  writeFileSync(
    join(outDir, `compile-budget-${date}.md`),
    `# Compile budget, ${date}\n\n${table}\n\n${note}\n`,
  );
}

await main();
