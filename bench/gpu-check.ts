/**
 * The real-GPU check (bench/gpu-check.sh bundles this for a machine with an NVIDIA GPU and no Node
 * modules): every DIR/*.onnx through Kiln's WebGPU runtime and onnxruntime-web's WebGPU EP on Dawn,
 * interleaved, then Kiln's GEMM N³ throughput. Kiln's output is checked against the model's stored
 * PyTorch output (DIR/<name>/test_data_set_0/output_0.pb; onnxruntime-node is too large to carry)
 * and against the EP's. Prints per-model ms and GFLOP/s; writes gpu-check.{json,md} to --out.
 *   node --liftoff-only --expose-gc gpu-check.mjs --models DIR [--runs 20] [--warmup 5] [--gemm 2048] [--out DIR]
 * Imports neither binaryen nor onnxruntime-node, so the bundle needs only `webgpu` and `onnxruntime-web`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareTensors } from '../compiler/conformance/compare.js';
import { readTensorProtoFile } from '../compiler/onnx/import.js';
import type { Tensor } from '../runtime/tensor.js';
import { modelsIn } from './corpus.js';
import type { Engine } from './engines/engine.js';
import { kilnWebGpuLoader } from './engines/kiln-webgpu.js';
import { adapterDescription } from './engines/node-webgpu.js';
import { ortWebGpuLoader, startOrtWebGpu } from './engines/ort-web-webgpu.js';
import { timeInterleaved } from './harness.js';
import { benchInputs } from './inputs.js';
import { machineInfo, MEMORY_NOTE } from './machine.js';
import { peakRssMB } from './memory.js';
import { round, webGpuCorpusMarkdown } from './report.js';
import type { BenchReport, ModelResult, SkippedModel } from './result.js';
import { geomean, median, p90, pairedSpeedup } from './stats.js';
import { compileWebGpuForBench, webGpuCompileSummary } from './webgpu-compile.js';
import { type GemmResult, webGpuGemm } from './webgpu-gemm.js';

const TOL = { rtol: 1e-3, atol: 1e-3 };

/** Undefined when every output of `want` is matched within TOL, else the first problem. */
function mismatch(ours: Record<string, Tensor>, want: Record<string, Tensor>): string | undefined {
  for (const [name, t] of Object.entries(want)) {
    const got = ours[name];
    if (!got) return `output '${name}' missing`;
    const why = compareTensors(got, t, TOL);
    if (why) return `output '${name}': ${why}`;
  }
  return undefined;
}

async function benchModel(file: string, name: string, runs: number, warmup: number): Promise<ModelResult> {
  const c = await compileWebGpuForBench(file);
  const inputs = c.model.graph.inputs.filter((vi) => !c.model.graph.initializers.has(vi.name));
  const { feeds, source } = benchInputs(file, inputs);
  const engines: Engine[] = [];
  const firsts: { ms: number; out: Record<string, Tensor> }[] = [];
  for (const loader of [kilnWebGpuLoader(c.artifact), ortWebGpuLoader(file)]) {
    const t0 = performance.now();
    const engine = await loader.load(feeds);
    const out = await engine.run();
    firsts.push({ ms: performance.now() - t0, out });
    engines.push(engine);
  }
  const [kiln, ort] = firsts as [(typeof firsts)[0], (typeof firsts)[0]];
  const torchFile = join(file.replace(/\.onnx$/, ''), 'test_data_set_0', 'output_0.pb');
  const outName = c.model.graph.outputs[0]!.name;
  const problems = [
    existsSync(torchFile)
      ? mismatch(kiln.out, { [outName]: readTensorProtoFile(torchFile) })
      : 'no stored PyTorch output',
    mismatch(kiln.out, ort.out),
  ];
  const [vsTorch, vsOrt] = problems;
  if (vsTorch) console.log(`  WARNING: kiln-webgpu vs PyTorch: ${vsTorch}`);
  if (vsOrt) console.log(`  note: kiln-webgpu vs ort-web-webgpu: ${vsOrt}`);
  await timeInterleaved(engines, 0, warmup);
  const samples = await timeInterleaved(engines, 0, runs);
  for (const e of engines) await e.release();
  const noMemory = { rss: 0, heapUsed: 0, external: 0 };
  return {
    model: name,
    target: 'webgpu',
    file,
    cnn: c.cnn,
    inputs: source,
    compile: webGpuCompileSummary(c),
    threads: 1,
    warmup,
    runs,
    engines: engines.map((e, i) => ({
      name: e.name,
      medianMs: median(samples[i]!),
      p90Ms: p90(samples[i]!),
      minMs: Math.min(...samples[i]!),
      samplesMs: samples[i]!,
      firstRunMs: firsts[i]!.ms,
      loadMs: 0,
      loadMemoryMB: noMemory,
      ...(i === 0 ? { matches: !vsTorch, ...(vsTorch ? { mismatch: vsTorch } : {}) } : {}),
    })),
    kiln: 'kiln-webgpu',
    speedup: { 'ort-web-webgpu': pairedSpeedup(samples[0]!, samples[1]!) },
    verified: !vsTorch,
    peakRssMB: peakRssMB(),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      gemm: { type: 'string', default: '2048' },
      'gemm-runs': { type: 'string', default: '10' },
      out: { type: 'string', default: '.' },
    },
  });
  if (!values.models) throw new Error('--models DIR is required (a folder of .onnx files)');
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const adapter = await adapterDescription();
  console.log(`WebGPU adapter: ${adapter}`);
  const startMs = await startOrtWebGpu();
  console.log(`onnxruntime-web WebGPU EP start: ${startMs.toFixed(0)} ms`);
  const models: ModelResult[] = [];
  const skipped: SkippedModel[] = [];
  for (const m of modelsIn(values.models)) {
    try {
      const r = await benchModel(m.file, m.name, runs, warmup);
      models.push(r);
      const [k, o] = r.engines;
      console.log(
        `${m.name}: kiln-webgpu ${k!.medianMs.toFixed(2)} ms, ort-web-webgpu ${o!.medianMs.toFixed(2)} ms, ` +
          `speedup ${round(r.speedup['ort-web-webgpu']!, 2)}x, output ${r.verified ? 'ok' : 'MISMATCH'} (${runs} rounds)`,
      );
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0]!;
      console.log(`${m.name}: failed: ${reason}`);
      skipped.push({ model: m.name, file: m.file, reason });
    }
  }
  let gemm: GemmResult | { error: string } | undefined;
  if (Number(values.gemm) > 0) {
    try {
      gemm = await webGpuGemm(Number(values.gemm), Number(values['gemm-runs']));
      console.log(
        `GEMM ${gemm.n}³ fp32 (Kiln webgpu): median ${gemm.medianGflops.toFixed(0)} GFLOP/s, best ${gemm.bestGflops.toFixed(0)} GFLOP/s`,
      );
    } catch (err) {
      gemm = { error: (err as Error).message };
      console.log(`GEMM failed: ${gemm.error}`);
    }
  }
  const good = models.filter((r) => r.cnn && r.verified);
  const report: BenchReport & { gemm?: typeof gemm } = {
    date: new Date().toISOString().slice(0, 10),
    target: 'webgpu',
    adapter,
    machine: machineInfo(),
    memoryNote: MEMORY_NOTE,
    ortWebGpuStartMs: startMs,
    models,
    skipped,
    geomeanSpeedup: good.length
      ? { 'ort-web-webgpu': geomean(good.map((r) => r.speedup['ort-web-webgpu']!)) }
      : {},
    geomeanModels: { 'ort-web-webgpu': good.map((r) => r.model) },
    gemm,
  };
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'gpu-check.json'), JSON.stringify(report, null, 2) + '\n');
  const gemmLine =
    gemm && 'n' in gemm
      ? `\nGEMM ${gemm.n}³ fp32, Kiln webgpu (GPU-resident input and output, to onSubmittedWorkDone): ` +
        `median ${round(gemm.medianGflops, 0)} GFLOP/s (${round(gemm.medianMs, 2)} ms), best ${round(gemm.bestGflops, 0)} GFLOP/s.\n`
      : gemm
        ? `\nGEMM failed: ${gemm.error}\n`
        : '';
  const md =
    webGpuCorpusMarkdown(
      report,
      `Kiln WebGPU check ${report.date} (bench/gpu-check.sh)`,
      "the model's stored PyTorch output (and compared with the EP's)",
    ) + gemmLine;
  writeFileSync(join(values.out, 'gpu-check.md'), md);
  console.log(`\n${md}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
