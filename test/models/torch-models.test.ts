import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../compiler/conformance/compare.js';
import { readTensorProtoFile } from '../../compiler/onnx/import.js';
import { ReferenceSession } from '../../compiler/reference/session.js';
import type { Tensor } from '../../runtime/tensor.js';
import { runOrt } from '../helpers/ort.js';
import { TORCH_MODELS, hasTorchModels, skipNote } from '../helpers/paths.js';

const TOL = { rtol: 1e-3, atol: 1e-4 };
const models = hasTorchModels
  ? readdirSync(TORCH_MODELS)
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => f.replace(/\.onnx$/, ''))
  : [];

describe.skipIf(!hasTorchModels)(
  skipNote('PyTorch-exported models match PyTorch and onnxruntime', TORCH_MODELS),
  () => {
    it('finds the model corpus', () => {
      expect(models.length).toBeGreaterThanOrEqual(10);
    });

    for (const name of models) {
      it(`${name}: reference output matches PyTorch's stored output and onnxruntime-node`, async () => {
        const file = join(TORCH_MODELS, `${name}.onnx`);
        const dir = join(TORCH_MODELS, name, 'test_data_set_0');
        const session = ReferenceSession.create(file);
        const feeds: Record<string, Tensor> = {};
        session.inputNames.forEach((n, i) => {
          feeds[n] = readTensorProtoFile(join(dir, `input_${i}.pb`));
        });
        const ours = session.run(feeds) as Record<string, Tensor>;
        const ort = await runOrt(file, feeds);
        session.outputNames.forEach((n, i) => {
          const expectedFile = join(dir, `output_${i}.pb`);
          if (existsSync(expectedFile)) {
            const torch = readTensorProtoFile(expectedFile);
            expect(compareTensors(ours[n]!, torch, TOL), `${name} output ${n} vs PyTorch`).toBeUndefined();
          }
          expect(
            compareTensors(ours[n]!, ort[n]!, TOL),
            `${name} output ${n} vs onnxruntime`,
          ).toBeUndefined();
        });
      });
    }
  },
);
