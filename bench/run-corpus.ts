/**
 * `npm run bench`: the whole corpus (../shared/models/torch and the npm models) through the same
 * harness as `kiln bench`, in one process; models Kiln cannot compile are listed with the reason.
 * Writes bench/results/<YYYY-MM-DD>.json and .md.
 *   npm run bench -- [--runs N (20)] [--warmup N (5)] [--budget-s S (25)] [--threads N (1)] [--only a,b]
 *                    [--target wasm|webgpu] [--against LIST] [--models-dir DIR] [--out DIR]
 * `--target webgpu` times Kiln's WebGPU runtime against onnxruntime-web's WebGPU EP (default baseline)
 * and writes <date>-webgpu.{json,md}; `--models-dir DIR` takes DIR/*.onnx instead of the corpus.
 * Budget: each model gets at most S seconds of timed rounds (never fewer than 5 rounds), so the 16-model
 * corpus stays near 10 minutes on a 2-core machine (compiles and the one-time onnxruntime-web start
 * included).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { KilnError } from '../runtime/errors.js';
import { PROJECT_ROOT, corpusModels, modelsIn } from './corpus.js';
import { adapterDescription } from './engines/node-webgpu.js';
import { tryStartOrtWeb } from './engines/ort-web.js';
import { startOrtWebGpu } from './engines/ort-web-webgpu.js';
import { benchV8Flags, respawnWithBenchFlags } from './flags.js';
import { MEMORY_NOTE, machineInfo } from './machine.js';
import { benchCompiled, compileForBench } from './model-bench.js';
import { parseBenchOptions } from './options.js';
import { corpusMarkdown, round, webGpuCorpusMarkdown } from './report.js';
import type { BenchReport, ModelResult, SkippedModel } from './result.js';
import { geomean } from './stats.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      threads: { type: 'string', default: '1' },
      'budget-s': { type: 'string', default: '25' },
      only: { type: 'string' },
      target: { type: 'string', default: 'wasm' },
      against: { type: 'string' },
      'models-dir': { type: 'string' },
      out: { type: 'string', default: join(PROJECT_ROOT, 'bench/results') },
    },
  });
  const opts = parseBenchOptions({
    runs: values.runs,
    warmup: values.warmup,
    threads: values.threads,
    target: values.target,
    against: values.against,
  });
  const budgetS = Number(values['budget-s']);
  if (!(budgetS > 0))
    throw new KilnError(`bad --budget-s '${values['budget-s']}'`, { expected: 'seconds > 0' });
  opts.budgetMs = budgetS * 1000;
  const respawned = await respawnWithBenchFlags(benchV8Flags(opts.target));
  if (respawned !== undefined) return respawned;

  const only = values.only?.split(',');
  const dir = values['models-dir'];
  const models = (dir ? modelsIn(dir) : corpusModels()).filter(
    (m) => !only || only.some((o) => m.name.includes(o)),
  );
  const t0 = performance.now();
  let ortWebStartMs: number | undefined;
  if (opts.against.includes('ort-web')) {
    const started = await tryStartOrtWeb(opts.threads);
    if ('ms' in started) {
      ortWebStartMs = started.ms;
      console.log(`onnxruntime-web runtime start: ${ortWebStartMs.toFixed(0)} ms`);
    } else {
      console.log(`WARNING: ${started.error}`);
      opts.against = opts.against.filter((a) => a !== 'ort-web');
    }
  }
  let ortWebGpuStartMs: number | undefined;
  if (opts.against.includes('ort-web-webgpu')) {
    ortWebGpuStartMs = await startOrtWebGpu();
    console.log(`onnxruntime-web WebGPU EP start: ${ortWebGpuStartMs.toFixed(0)} ms`);
  }
  const adapter = opts.target === 'webgpu' ? await adapterDescription() : undefined;
  if (adapter) console.log(`WebGPU adapter: ${adapter}`);
  const results: ModelResult[] = [];
  const skipped: SkippedModel[] = [];
  for (const m of models) {
    console.log(`${m.name}:`);
    let compiled;
    try {
      compiled = await compileForBench(m.file, m.shapes, opts.threads, opts.target, m.bind);
    } catch (err) {
      const reason = `not compiled: ${(err as Error).message.split('\n')[0]}`;
      console.log(`  ${reason}`);
      skipped.push({ model: m.name, file: m.file, reason });
      continue;
    }
    try {
      const r = await benchCompiled(compiled, opts, (l) => console.log(l));
      r.model = m.name;
      results.push(r);
      const kiln = r.engines.find((e) => e.name === r.kiln)!;
      console.log(
        `  ${r.kiln} ${kiln.medianMs.toFixed(1)} ms, ${r.runs} rounds; speedup ` +
          Object.entries(r.speedup)
            .map(([k, v]) => `${round(v, 2)}x vs ${k}`)
            .join(', '),
      );
    } catch (err) {
      const reason = `benchmark failed: ${(err as Error).message.split('\n')[0]}`;
      console.log(`  ${reason}`);
      skipped.push({ model: m.name, file: m.file, reason });
    }
  }
  const geomeanSpeedup: Record<string, number> = {};
  const geomeanModels: Record<string, string[]> = {};
  for (const base of opts.against) {
    const xs = results
      .filter((r) => r.cnn && r.verified && r.speedup[base] !== undefined)
      .map((r) => r.speedup[base]!);
    if (xs.length > 0) geomeanSpeedup[base] = geomean(xs);
    geomeanModels[base] = results
      .filter((r) => r.cnn && r.verified && r.speedup[base] !== undefined)
      .map((r) => r.model);
  }
  const date = new Date().toISOString().slice(0, 10);
  const report: BenchReport = {
    date,
    target: opts.target,
    ...(adapter ? { adapter } : {}),
    machine: machineInfo(),
    memoryNote: MEMORY_NOTE,
    ortWebStartMs,
    ortWebGpuStartMs,
    models: results,
    skipped,
    geomeanSpeedup,
    geomeanModels,
  };
  mkdirSync(values.out, { recursive: true });
  const base = join(values.out, opts.target === 'webgpu' ? `${date}-webgpu` : date);
  const markdown = opts.target === 'webgpu' ? webGpuCorpusMarkdown(report) : corpusMarkdown(report);
  // formatted as the repository's prettier config says, so `npm run lint` passes on committed results
  const config = (await prettier.resolveConfig(`${base}.json`)) ?? {};
  writeFileSync(`${base}.json`, await prettier.format(JSON.stringify(report), { ...config, parser: 'json' }));
  writeFileSync(`${base}.md`, await prettier.format(markdown, { ...config, parser: 'markdown' }));
  console.log(`\n${markdown}`);
  console.log(`wrote ${base}.json and ${base}.md in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof KilnError ? `kiln: ${err.message}` : err);
    process.exitCode = err instanceof KilnError ? 1 : 70;
  },
);
