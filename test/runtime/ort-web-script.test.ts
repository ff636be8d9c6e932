import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { loadOrtWeb } from '../../bench/engines/ort-web.js';
import { loadModel, readTensorProtoFile } from '../../compiler/onnx/import.js';
import { exportModel } from '../../compiler/onnx/export.js';
import * as kiln from '../../runtime/index.js';
import { compileWasm, wasmArtifact } from '../../targets/wasm/compile.js';
import { graph, model, node, value } from '../helpers/build.js';
import { TORCH_MODELS, hasTorchModels, skipNote } from '../helpers/paths.js';
import { Tensor as KilnTensor } from '../../runtime/tensor.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

/** What a script needs from `import * as ort from 'onnxruntime-web'` — or from `import * as ort from 'kiln'`. */
interface OrtApi {
  InferenceSession: {
    create(
      model: Uint8Array,
      options?: { executionProviders?: string[] },
    ): Promise<{
      inputNames: readonly string[];
      outputNames: readonly string[];
      run(
        feeds: Record<string, unknown>,
      ): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
      release(): Promise<void>;
    }>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

/** A script as written for onnxruntime-web: the same code runs with Kiln's module. */
async function script(ort: OrtApi, modelBytes: Uint8Array, input: Float32Array, dims: number[]) {
  const session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'] });
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) };
  const results = await session.run(feeds);
  const output = results[session.outputNames[0]!]!;
  await session.release();
  return { data: output.data as Float32Array, dims: [...output.dims] };
}

async function bothRuntimes(onnx: Uint8Array, kilnBytes: Uint8Array, input: Float32Array, dims: number[]) {
  const ortWeb = (await loadOrtWeb(1)) as unknown as OrtApi;
  return {
    ours: await script(kiln, kilnBytes, input, dims),
    theirs: await script(ortWeb, onnx, input, dims),
  };
}

function expectClose(ours: Float32Array, theirs: Float32Array, rtol = 1e-3, atol = 1e-4) {
  expect(ours.length).toBe(theirs.length);
  const bad = ours.findIndex((v, i) => !(Math.abs(v - theirs[i]!) <= atol + rtol * Math.abs(theirs[i]!)));
  expect(bad, bad >= 0 ? `element ${bad}: ${ours[bad]} vs ${theirs[bad]}` : '').toBe(-1);
}

describe('an onnxruntime-web script runs a .kiln with only the import changed', () => {
  it('on a small generated model', async () => {
    const build = () => {
      const w = new KilnTensor(
        'float32',
        [6, 5],
        Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)),
      );
      return model(
        graph({
          inputs: [value('input', 'float32', [3, 6])],
          outputs: [value('probs', 'float32', [3, 5])],
          nodes: [node('MatMul', ['input', 'w'], ['logits']), node('Softmax', ['logits'], ['probs'], {})],
          initializers: { w },
        }),
      );
    };
    const input = Float32Array.from({ length: 18 }, (_, i) => Math.cos(i * 0.7));
    const { ours, theirs } = await bothRuntimes(
      exportModel(build()),
      await wasmArtifact(compileWasm(build())),
      input,
      [3, 6],
    );
    expect(ours.dims).toEqual(theirs.dims);
    expectClose(ours.data, theirs.data);
  });

  describe.skipIf(!hasTorchModels)(skipNote('on a corpus model', TORCH_MODELS), () => {
    it('squeezenet1_1 with its stored test input', async () => {
      const file = join(TORCH_MODELS, 'squeezenet1_1.onnx');
      const onnx = readFileSync(file);
      const x = readTensorProtoFile(join(TORCH_MODELS, 'squeezenet1_1/test_data_set_0/input_0.pb'));
      const kilnBytes = await wasmArtifact(compileWasm(loadModel(file)), { sourceBytes: onnx });
      const { ours, theirs } = await bothRuntimes(onnx, kilnBytes, x.data as Float32Array, [...x.shape]);
      expect(ours.dims).toEqual(theirs.dims);
      expectClose(ours.data, theirs.data);
    }, 120_000);
  });
});
