import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { loadModel, readTensorProtoFile } from '../../../compiler/onnx/import.js';
import { selfTest } from '../../../fleet/agent/self-test.js';
import { readArtifact } from '../../../runtime/artifact/index.js';
import { InferenceSession } from '../../../runtime/inference-session.js';
import {
  SELF_TEST_INPUTS,
  SELF_TEST_OUTPUTS,
  WEBGPU_FP16_SELF_TEST_TOLERANCE,
} from '../../../runtime/self-test-sample.js';
import { type Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { WEBGPU_HALF_WEIGHTS_PATH } from '../../../runtime/webgpu/layout.js';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../../../runtime/webgpu/session.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';
import { TORCH_MODELS, hasTorchModels, skipNote } from '../../helpers/paths.js';
import { gpuNote, hasAdapter } from './adapter.js';
import { mixedModel } from './mixed-model.js';

/**
 * `--precision fp16` on the webgpu target: f16 storage, f16 elementwise math, f32 accumulation,
 * float32 graph I/O. Checked against onnxruntime-node (fp32) within the documented fp16 tolerance.
 */
const FP16 = WEBGPU_FP16_SELF_TEST_TOLERANCE;
const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

const mixedFeeds = (): Record<string, Tensor> => ({
  x: tensorFrom(
    'float32',
    [10, 4],
    seq(40, (i) => Math.cos(i * 0.7) * 2),
  ),
  idx: tensorFrom('int64', [3], [7, 0, 3]),
  m: tensorFrom(
    'bool',
    [3, 4],
    seq(12, (i) => (i % 3) & 1),
  ),
});

/**
 * A small CNN: conv (implicit GEMM), relu, depthwise conv (direct shader), hard-swish, max pool, a
 * ReduceMean, global average pool, Gemm, LayerNormalization, GELU by Erf, Softmax.
 */
const cnnModel = () =>
  model(
    graph({
      inputs: [value('x', 'float32', [1, 3, 12, 12])],
      outputs: [value('y', 'float32', [1, 10]), value('r', 'float32', [1, 1, 6, 6])],
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c1'], { pads: ints([1, 1, 1, 1]) }),
        node('Relu', ['c1'], ['a1']),
        node('Conv', ['a1', 'w2'], ['c2'], { pads: ints([1, 1, 1, 1]), group: int(8) }),
        node('HardSwish', ['c2'], ['a2']),
        node('MaxPool', ['a2'], ['p'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }),
        node('ReduceMean', ['p', 'axes'], ['r'], { keepdims: int(1) }),
        node('GlobalAveragePool', ['p'], ['g']),
        node('Flatten', ['g'], ['f']),
        node('Gemm', ['f', 'w3', 'b3'], ['h']),
        node('LayerNormalization', ['h', 'scale', 'bias'], ['n'], { axis: int(-1) }),
        node('Div', ['n', 'sqrt2'], ['nd']),
        node('Erf', ['nd'], ['e']),
        node('Add', ['e', 'one'], ['e1']),
        node('Mul', ['n', 'e1'], ['gl']),
        node('Softmax', ['gl'], ['y'], { axis: int(-1) }),
      ],
      initializers: {
        w1: tensorFrom(
          'float32',
          [8, 3, 3, 3],
          seq(216, (i) => Math.sin(i * 1.3) * 0.4),
        ),
        b1: tensorFrom(
          'float32',
          [8],
          seq(8, (i) => (i - 4) * 0.05),
        ),
        w2: tensorFrom(
          'float32',
          [8, 1, 3, 3],
          seq(72, (i) => Math.cos(i * 0.9) * 0.5),
        ),
        axes: tensorFrom('int64', [1], [1]),
        w3: tensorFrom(
          'float32',
          [8, 10],
          seq(80, (i) => Math.sin(i * 0.37)),
        ),
        b3: tensorFrom(
          'float32',
          [10],
          seq(10, (i) => i * 0.01),
        ),
        scale: tensorFrom(
          'float32',
          [10],
          seq(10, (i) => 1 + i * 0.1),
        ),
        bias: tensorFrom(
          'float32',
          [10],
          seq(10, (i) => -0.2 + i * 0.03),
        ),
        sqrt2: tensorFrom('float32', [], [Math.SQRT2]),
        one: tensorFrom('float32', [], [1]),
      },
    }),
    18,
  );
const cnnFeeds = (): Record<string, Tensor> => ({
  x: tensorFrom(
    'float32',
    [1, 3, 12, 12],
    seq(432, (i) => Math.sin(i * 0.11) * 1.5),
  ),
});

describe('webgpu --precision fp16: the artifact (compile time)', () => {
  it('says fp16 and shader-f16, stores f16 weights and the fp16 self-test tolerance', async () => {
    const result = compileWebGpu(cnnModel(), { precision: 'fp16' });
    expect(result.precision).toBe('fp16');
    expect(result.layout.precision).toBe('fp16');
    const { manifest, files } = await readArtifact(await webGpuArtifact(result));
    expect(manifest.precision).toBe('fp16');
    expect(manifest.target).toEqual({ name: 'webgpu', features: ['shader-f16'] });
    expect(manifest.compiler.precision).toBe('fp16');
    expect(manifest.selfTest).toEqual({ inputs: SELF_TEST_INPUTS, outputs: SELF_TEST_OUTPUTS, ...FP16 });
    // inputs and outputs keep the model's dtypes
    expect(manifest.inputs.map((t) => t.dtype)).toEqual(['float32']);
    expect(manifest.outputs.map((t) => t.dtype)).toEqual(['float32', 'float32']);
    // every float weight as f16: 216 + 8 + 72 + 80 + ... halves, after the four special values
    const halves = files.get(WEBGPU_HALF_WEIGHTS_PATH)!.length / 2;
    expect(halves).toBeGreaterThanOrEqual(4 + 216 + 72 + 80);
    const shaders = [...result.shaders.values()];
    expect(shaders.every((s) => s.startsWith('enable f16;'))).toBe(true);
    const gemm = shaders.find((s) => s.includes('tileA'))!;
    expect(gemm).toMatch(/var<workgroup> tileA: array<f16, \d+>;/);
    expect(gemm).toMatch(/var acc0: f32 = 0\.0f;/); // f32 accumulation
    expect(gemm).toMatch(/f16\(clamp\(v, -65504\.0f, 65504\.0f\)\)/); // saturating f16 store
  });

  it('leaves fp32 as it was: no f16 anywhere, precision fp32, no features', async () => {
    const result = compileWebGpu(cnnModel());
    const { manifest, files } = await readArtifact(await webGpuArtifact(result));
    expect(manifest.precision).toBe('fp32');
    expect(manifest.target.features).toEqual([]);
    expect(files.has(WEBGPU_HALF_WEIGHTS_PATH)).toBe(false);
    expect(result.layout.precision).toBeUndefined();
    expect([...result.shaders.values()].some((s) => /f16|arena16/.test(s))).toBe(false);
  });

  it('an adapter without shader-f16 is refused at load, naming the feature', async () => {
    const adapter = {
      features: new Set<string>(),
      limits: { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 },
      info: { description: 'a test adapter' },
      requestDevice: () => Promise.reject(new Error('requestDevice must not be reached')),
    };
    const gpu = { requestAdapter: async () => adapter } as unknown as GPU;
    const bytes = await webGpuArtifact(compileWebGpu(cnnModel(), { precision: 'fp16', selfTest: false }));
    await expect(WebGpuSession.create(bytes, { gpu, file: 'cnn.kiln' })).rejects.toThrow(
      /cnn\.kiln.*--precision fp16 and needs the WebGPU feature 'shader-f16', which this adapter \(a test adapter\) does not have.*expected: an adapter with 'shader-f16', or the model compiled with --precision fp32/s,
    );
  });
});

describe.skipIf(!hasAdapter)(gpuNote('webgpu --precision fp16 on Dawn vs onnxruntime-node'), () => {
  const check = async (build: () => ReturnType<typeof model>, feeds: Record<string, Tensor>) => {
    const onnx = exportModel(build());
    const session = await WebGpuSession.create(
      await webGpuArtifact(compileWebGpu(build(), { precision: 'fp16', selfTest: false })),
      { gpu: await nodeWebGpu() },
    );
    try {
      const ours = await session.run(feeds);
      const ort = await runOrt(onnx, feeds);
      for (const name of session.outputNames) {
        expect(ours[name]!.dtype, name).toBe(ort[name]!.dtype);
        expect(compareTensors(ours[name]!, ort[name]!, FP16), name).toBeUndefined();
      }
      return { ours, ort };
    } finally {
      session.release();
    }
  };

  it(
    'a CNN (conv, depthwise, pools, gemm, layernorm, erf, softmax) matches',
    { timeout: 300_000 },
    async () => {
      const { ours, ort } = await check(cnnModel, cnnFeeds());
      // and is not fp32: f16 rounding shows (the outputs are not bit-identical to fp32's)
      expect(compareTensors(ours.y!, ort.y!, { rtol: 1e-7, atol: 1e-9 })).toBeDefined();
    },
  );

  it(
    'int64 and bool inputs, int64 outputs, gather, tanh and softmax match',
    { timeout: 300_000 },
    async () => {
      const { ours, ort } = await check(mixedModel, mixedFeeds());
      expect([...(ours.arg!.data as BigInt64Array)]).toEqual([...(ort.arg!.data as BigInt64Array)]);
    },
  );

  it("the stored self-test passes under the agent's check", { timeout: 300_000 }, async () => {
    const session = await InferenceSession.create(
      await webGpuArtifact(compileWebGpu(cnnModel(), { precision: 'fp16' })),
    );
    try {
      await selfTest(session);
    } finally {
      await session.release();
    }
  });
});

/**
 * The corpus CNNs compiled fp16 against onnxruntime-node (fp32) on each model's test_data_set_0:
 * |ours - ort| <= t + t·|ort| with t per model, about 2.5× the error measured on lavapipe
 * (docs/webgpu-target.md, fp16). Every CNN by default (CI too: a few minutes on lavapipe);
 * KILN_WEBGPU_CORPUS=small runs squeezenet1_1 alone, for quick local runs.
 */
const FP16_TOLERANCE: Record<string, number> = {
  squeezenet1_1: 2e-3, // measured 5.3e-4
  resnet18: 5e-3, // 1.8e-3
  mobilenet_v2: 1.5e-2, // 5.7e-3
  mobilenet_v3_small: 1e-3, // 1.9e-4
  shufflenet_v2_x1_0: 2e-2, // 7.7e-3
  efficientnet_b0: 5e-3, // 1.4e-3
  mnasnet0_5: 4e-2, // 1.6e-2
};
const CNNS = process.env.KILN_WEBGPU_CORPUS === 'small' ? ['squeezenet1_1'] : Object.keys(FP16_TOLERANCE);

describe.skipIf(!hasTorchModels || !hasAdapter)(
  gpuNote(skipNote('webgpu fp16 on the PyTorch corpus CNNs', TORCH_MODELS)),
  () => {
    for (const name of CNNS) {
      it(
        `${name}: fp16 output matches onnxruntime-node within the fp16 tolerance`,
        { timeout: 900_000 },
        async () => {
          const file = join(TORCH_MODELS, `${name}.onnx`);
          const bytes = await webGpuArtifact(
            compileWebGpu(loadModel(file), { precision: 'fp16', selfTest: false }),
            { sourceBytes: readFileSync(file) },
          );
          const session = await WebGpuSession.create(bytes, { gpu: await nodeWebGpu() });
          try {
            const x = readTensorProtoFile(join(TORCH_MODELS, name, 'test_data_set_0/input_0.pb'));
            const feeds = { [session.inputNames[0]!]: x };
            const ours = await session.run(feeds);
            const ort = await runOrt(file, feeds);
            const out = session.outputNames[0]!;
            expect(
              compareTensors(ours[out]!, ort[out]!, {
                rtol: FP16_TOLERANCE[name]!,
                atol: FP16_TOLERANCE[name]!,
              }),
              'vs onnxruntime',
            ).toBeUndefined();
          } finally {
            session.release();
          }
        },
      );
    }
  },
);
