import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Model } from '../compiler/ir/graph.js';
import { loadModel } from '../compiler/onnx/import.js';
import type { Tensor } from '../runtime/tensor.js';
import { type WebGpuCompileResult, compileWebGpu, webGpuArtifact } from '../targets/webgpu/compile.js';
import { type InputShapes, bindInputShapes } from './shapes.js';

export interface WebGpuCompiledModel {
  file: string;
  model: Model;
  target: 'webgpu';
  compiled: WebGpuCompileResult;
  artifact: Uint8Array;
  compileSeconds: number;
  /** The source graph has a Conv (read before compiling: the passes rewrite the graph in place). */
  cnn: boolean;
  /** Inputs frozen at compile time: every engine is fed exactly these. */
  bound: Map<string, Tensor>;
}

/**
 * Load and compile for the webgpu target (kept apart from the wasm one so that bench/gpu-check.ts,
 * bundled for a GPU machine, needs neither binaryen nor onnxruntime-node).
 */
export async function compileWebGpuForBench(
  file: string,
  shapes: InputShapes = {},
  bind: Map<string, Tensor> = new Map(),
): Promise<WebGpuCompiledModel> {
  const model = loadModel(file); // a missing or broken file is a KilnError naming it
  const bytes = readFileSync(file);
  bindInputShapes(model, shapes);
  const cnn = model.graph.nodes.some((n) => n.op === 'Conv');
  const t0 = performance.now();
  const source = { sourceBytes: bytes, sourceName: basename(file) };
  // no self-test sample: it runs the reference executor on the model (seconds on a CNN) and a
  // benchmark never ships the artifact
  const compiled = compileWebGpu(model, { ...source, selfTest: false, bind });
  const artifact = await webGpuArtifact(compiled, source);
  return {
    file,
    model,
    target: 'webgpu',
    compiled,
    artifact,
    compileSeconds: (performance.now() - t0) / 1000,
    cnn,
    bound: bind,
  };
}

/** The compile figures of a webgpu result (ModelResult.compile). */
export function webGpuCompileSummary(c: WebGpuCompiledModel) {
  const { compiled } = c;
  return {
    seconds: c.compileSeconds,
    shaders: compiled.shaders.size,
    dispatches: compiled.layout.dispatches.length,
    arenaBytes: compiled.arena.bytes,
    naiveArenaBytes: compiled.arena.naiveBytes,
    memoryBytes: compiled.layout.arenaBytes + compiled.weights.length,
  };
}
