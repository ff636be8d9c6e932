/**
 * nn inference on the PyTorch CNNs with a symbolic batch: the batch symbol must reach the logits, and
 * every concrete dim inferred for an intermediate value must equal the shape the executor produces.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dim } from '../../../../../compiler/ir/graph.js';
import { inferShapes } from '../../../../../compiler/ir/infer.js';
import { loadModel, readTensorProtoFile } from '../../../../../compiler/onnx/import.js';
import { GraphExecutor } from '../../../../../compiler/reference/executor.js';
import { Tensor } from '../../../../../runtime/tensor.js';
import { TORCH_MODELS, hasTorchModels, skipNote } from '../../../../helpers/paths.js';

// shufflenet_v2 is left out: its exported channel-shuffle Reshapes hard-code batch 1.
const MODELS = ['mobilenet_v3_small', 'mnasnet0_5', 'squeezenet1_1', 'resnet18'];

describe.skipIf(!hasTorchModels)(
  skipNote('nn inference on PyTorch CNNs with a symbolic batch', TORCH_MODELS),
  () => {
    for (const name of MODELS) {
      it.skipIf(!existsSync(join(TORCH_MODELS, `${name}.onnx`)))(name, () => {
        const model = loadModel(join(TORCH_MODELS, `${name}.onnx`));
        const inputs = model.graph.inputs.filter((v) => !model.graph.initializers.has(v.name));
        expect(inputs.length).toBe(1);
        const input = inputs[0]!;
        const feed = readTensorProtoFile(join(TORCH_MODELS, name, 'test_data_set_0', 'input_0.pb'));
        input.type = { dtype: feed.dtype, shape: ['N', ...feed.shape.slice(1)] };
        // Forget the exporter's fixed-batch shapes so only inference speaks.
        const out = model.graph.outputs[0]!;
        out.type = out.type && { dtype: out.type.dtype };
        model.graph.valueInfo.clear();
        const report = inferShapes(model);
        expect(report.types.get(out.name)?.shape, `${name} logits`).toEqual(['N', 1000]);
        const actual = new Map<string, readonly number[]>();
        const executor = GraphExecutor.forModel(model, {
          onNode: (node, outs) =>
            node.outputs.forEach((o, i) => {
              const v = outs[i];
              if (o && v instanceof Tensor) actual.set(o, v.shape);
            }),
        });
        executor.run(model.graph, new Map([[input.name, feed]]));
        let checked = 0;
        for (const [value, shape] of actual) {
          const inferred: Dim[] | undefined = report.types.get(value)?.shape;
          if (!inferred) continue;
          expect(inferred.length, `${name} ${value} rank`).toBe(shape.length);
          inferred.forEach((d, k) => {
            if (typeof d === 'number') expect(d, `${name} ${value} dim ${k}`).toBe(shape[k]);
          });
          checked++;
        }
        expect(checked).toBeGreaterThan(actual.size * 0.9);
      });
    }
  },
);
