import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { compareTensors } from '../compiler/conformance/compare.js';
import type { Model } from '../compiler/ir/graph.js';
import { loadModel } from '../compiler/onnx/import.js';
import type { Tensor } from '../runtime/tensor.js';
import { hasRelaxedSimd } from '../runtime/wasm/features.js';
import { type WasmCompileResult, compileWasm, wasmArtifact } from '../targets/wasm/compile.js';
import type { Engine, EngineLoader } from './engines/engine.js';
import { kilnLoader } from './engines/kiln.js';
import { kilnWebGpuLoader } from './engines/kiln-webgpu.js';
import { ortNodeLoader } from './engines/ort-node.js';
import { ortWebLoader } from './engines/ort-web.js';
import { ortWebGpuLoader } from './engines/ort-web-webgpu.js';
import { roundsFor, timeInterleaved } from './harness.js';
import { benchInputs } from './inputs.js';
import { memoryDeltaMB, memorySnapshot, peakRssMB, settleMemory } from './memory.js';
import type { BenchOptions } from './options.js';
import { type InputShapes, bindInputShapes } from './shapes.js';
import type { EngineResult, ModelResult } from './result.js';
import { median, p90, pairedSpeedup } from './stats.js';
import { type WebGpuCompiledModel, compileWebGpuForBench, webGpuCompileSummary } from './webgpu-compile.js';

/** Kiln's output must match onnxruntime-node within this before its time means anything. */
export const CHECK_TOLERANCE = { rtol: 1e-3, atol: 1e-4 };
/** The webgpu target's (docs/webgpu-target.md: GPUs sum in their own order, WGSL's exp/tanh approximate). */
export const WEBGPU_CHECK_TOLERANCE = { rtol: 1e-3, atol: 1e-3 };

export type CompiledModel = WasmCompiledModel | WebGpuCompiledModel;

export interface WasmCompiledModel {
  file: string;
  model: Model;
  target: 'wasm';
  compiled: WasmCompileResult;
  artifact: Uint8Array;
  compileSeconds: number;
  /** The source graph has a Conv (read before compiling: the passes rewrite the graph in place). */
  cnn: boolean;
  /** Inputs frozen at compile time: every engine is fed exactly these. */
  bound: Map<string, Tensor>;
}

/** Load and compile for the target; a model Kiln cannot compile throws its KilnError. */
export async function compileForBench(
  file: string,
  shapes: InputShapes = {},
  threads = 1,
  target: 'wasm' | 'webgpu' = 'wasm',
  bind: Map<string, Tensor> = new Map(),
): Promise<CompiledModel> {
  if (target === 'webgpu') return compileWebGpuForBench(file, shapes, bind);
  const model = loadModel(file); // a missing or broken file is a KilnError naming it
  const bytes = readFileSync(file);
  bindInputShapes(model, shapes);
  const cnn = model.graph.nodes.some((n) => n.op === 'Conv');
  const t0 = performance.now();
  const compiled = compileWasm(model, { sourceBytes: bytes, sourceName: basename(file), threads, bind });
  const artifact = await wasmArtifact(compiled, { sourceBytes: bytes, sourceName: basename(file) });
  return {
    file,
    model,
    target: 'wasm',
    compiled,
    artifact,
    compileSeconds: (performance.now() - t0) / 1000,
    cnn,
    bound: bind,
  };
}

/**
 * Benchmark a compiled model: load every engine (timing load + first run and the memory it took),
 * check Kiln's outputs against onnxruntime-node, then time all engines interleaved.
 */
export async function benchCompiled(
  c: CompiledModel,
  opts: BenchOptions,
  log: (line: string) => void = () => {},
): Promise<ModelResult> {
  const modelInputs = c.model.graph.inputs.filter((vi) => !c.model.graph.initializers.has(vi.name));
  const inputs = benchInputs(c.file, modelInputs);
  const feeds = { ...inputs.feeds, ...Object.fromEntries(c.bound) };
  const source = c.bound.size ? `${inputs.source}, ${[...c.bound.keys()].join(', ')} bound` : inputs.source;
  const kilnVariants: ('relaxed' | 'simd')[] = hasRelaxedSimd() ? ['relaxed', 'simd'] : ['simd'];
  const kilnLoaders: EngineLoader[] =
    c.target === 'webgpu'
      ? [kilnWebGpuLoader(c.artifact)]
      : [
          ...kilnVariants.map((v) => kilnLoader(c.artifact, v, opts.threads)),
          // threaded: the same module variant on one thread, timed in the same rounds, for the thread speedup
          ...(opts.threads > 1
            ? [kilnLoader(c.artifact, kilnVariants[0]!, 1, `kiln-${kilnVariants[0]}-1thread`)]
            : []),
        ];
  const loaders: EngineLoader[] = [
    ...kilnLoaders,
    ...opts.against.map((b) =>
      b === 'ort-web'
        ? ortWebLoader(c.file, opts.threads)
        : b === 'ort-web-webgpu'
          ? ortWebGpuLoader(c.file)
          : ortNodeLoader(c.file, opts.threads),
    ),
  ];
  const engines: Engine[] = [];
  const firsts: {
    loadMs: number;
    firstRunMs: number;
    mem: EngineResult['loadMemoryMB'];
    out: Record<string, Tensor>;
  }[] = [];
  for (const loader of loaders) {
    await settleMemory();
    const before = memorySnapshot();
    const t0 = performance.now();
    const engine = await loader.load(feeds);
    const t1 = performance.now();
    const out = await engine.run();
    const t2 = performance.now();
    engines.push(engine);
    firsts.push({ loadMs: t1 - t0, firstRunMs: t2 - t0, mem: memoryDeltaMB(before, memorySnapshot()), out });
    log(`  loaded ${loader.name}: first run ${(t2 - t0).toFixed(0)} ms`);
  }
  const reference = await referenceOutputs(
    engines,
    firsts.map((f) => f.out),
    c.file,
    feeds,
    opts.threads,
  );
  const checks = engines.map((e, i) =>
    e.name.startsWith('kiln-')
      ? checkOutputs(
          firsts[i]!.out,
          reference,
          c.target === 'webgpu' ? WEBGPU_CHECK_TOLERANCE : CHECK_TOLERANCE,
        )
      : undefined,
  );
  checks.forEach((m, i) => {
    if (m) log(`  WARNING: ${engines[i]!.name} does not match onnxruntime-node: ${m}`);
  });
  const warm = await timeInterleaved(engines, 0, opts.warmup);
  const runs = roundsFor(opts, warm);
  const samples = await timeInterleaved(engines, 0, runs);
  for (const e of engines) await e.release();
  const results: EngineResult[] = engines.map((e, i) => ({
    name: e.name,
    medianMs: median(samples[i]!),
    p90Ms: p90(samples[i]!),
    minMs: Math.min(...samples[i]!),
    samplesMs: samples[i]!,
    firstRunMs: firsts[i]!.firstRunMs,
    loadMs: firsts[i]!.loadMs,
    loadMemoryMB: firsts[i]!.mem,
    ...(e.name.startsWith('kiln-')
      ? { matches: checks[i] === undefined, ...(checks[i] ? { mismatch: checks[i] } : {}) }
      : {}),
  }));
  const kiln = kilnLoaders[0]!.name;
  const k = engines.findIndex((e) => e.name === kiln);
  const speedup: Record<string, number> = {};
  engines.forEach((e, i) => {
    if (!e.name.startsWith('kiln-') || e.name.endsWith('-1thread'))
      speedup[e.name] = pairedSpeedup(samples[k]!, samples[i]!);
  });
  return {
    model: basename(c.file, '.onnx'),
    target: c.target,
    file: c.file,
    cnn: c.cnn,
    inputs: source,
    compile: c.target === 'webgpu' ? webGpuCompileSummary(c) : wasmCompileSummary(c),
    threads: opts.threads,
    warmup: opts.warmup,
    runs,
    engines: results,
    kiln,
    speedup,
    verified: checks.every((m) => m === undefined),
    peakRssMB: peakRssMB(),
  };
}

function wasmCompileSummary(c: WasmCompiledModel): ModelResult['compile'] {
  const { compiled } = c;
  return {
    seconds: c.compileSeconds,
    wasmBytes: { simd: compiled.modules.simd.length, relaxed: compiled.modules.relaxed.length },
    arenaBytes: compiled.arena.bytes,
    naiveArenaBytes: compiled.arena.naiveBytes,
    memoryBytes: compiled.layout.memoryBytes,
  };
}

/** onnxruntime-node's outputs: from its engine when it is one of the baselines, else from a throwaway session. */
async function referenceOutputs(
  engines: Engine[],
  outs: Record<string, Tensor>[],
  file: string,
  feeds: Record<string, Tensor>,
  threads: number,
): Promise<Record<string, Tensor>> {
  const i = engines.findIndex((e) => e.name === 'ort-node');
  if (i >= 0) return outs[i]!;
  const ref = await ortNodeLoader(file, threads).load(feeds);
  try {
    return await ref.run();
  } finally {
    await ref.release();
  }
}

/** Undefined when every reference output is matched within CHECK_TOLERANCE, else the first problem. */
export function checkOutputs(
  ours: Record<string, Tensor>,
  reference: Record<string, Tensor>,
  tolerance = CHECK_TOLERANCE,
): string | undefined {
  for (const [name, want] of Object.entries(reference)) {
    const got = ours[name];
    if (!got) return `output '${name}' missing`;
    const why = compareTensors(got, want, tolerance);
    if (why) return `output '${name}': ${why}`;
  }
  return undefined;
}
