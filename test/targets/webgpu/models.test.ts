import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { loadModel, readTensorProtoFile } from '../../../compiler/onnx/import.js';
import { KilnError } from '../../../runtime/errors.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../../../runtime/webgpu/session.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';
import { TORCH_MODELS, hasTorchModels, skipNote } from '../../helpers/paths.js';
import { gpuNote, hasAdapter } from './adapter.js';

const TOL = { rtol: 1e-3, atol: 1e-3 };
/**
 * Every corpus model by default, CI too (lavapipe compiles each shader with LLVM on first use: 2.6 min
 * for all ten with a cold shader cache on 2 cores); KILN_WEBGPU_CORPUS=small runs the three small ones.
 */
const CI_MODELS = ['mlp', 'transformer_encoder', 'squeezenet1_1'];
const ALL_MODELS = [
  ...CI_MODELS,
  'resnet18',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'shufflenet_v2_x1_0',
  'efficientnet_b0',
  'mnasnet0_5',
  'lstm',
];
const MODELS = process.env.KILN_WEBGPU_CORPUS === 'small' ? CI_MODELS : ALL_MODELS;

const artifactOf = async (m: ReturnType<typeof model>) => webGpuArtifact(compileWebGpu(m));

describe.skipIf(!hasTorchModels || !hasAdapter)(
  gpuNote(skipNote('webgpu target on the PyTorch corpus', TORCH_MODELS)),
  () => {
    for (const name of MODELS) {
      it(`${name}: compiled output matches onnxruntime-node and PyTorch`, { timeout: 900_000 }, async () => {
        const file = join(TORCH_MODELS, `${name}.onnx`);
        const bytes = await webGpuArtifact(compileWebGpu(loadModel(file)), {
          sourceBytes: readFileSync(file),
        });
        const session = await WebGpuSession.create(bytes, { gpu: await nodeWebGpu() });
        try {
          const x = readTensorProtoFile(join(TORCH_MODELS, name, 'test_data_set_0/input_0.pb'));
          const feeds = { [session.inputNames[0]!]: x };
          const ours = await session.run(feeds);
          const ort = await runOrt(file, feeds);
          const torch = readTensorProtoFile(join(TORCH_MODELS, name, 'test_data_set_0/output_0.pb'));
          const out = session.outputNames[0]!;
          expect(compareTensors(ours[out]!, ort[out]!, TOL), 'vs onnxruntime').toBeUndefined();
          expect(compareTensors(ours[out]!, torch, TOL), 'vs PyTorch').toBeUndefined();
        } finally {
          session.release();
        }
      });
    }
  },
);

const tiny = () =>
  model(
    graph({
      inputs: [value('x', 'float32', [1, 4])],
      outputs: [value('y', 'float32', [1, 4])],
      nodes: [node('Relu', ['x'], ['y'], {}, 'the_relu')],
    }),
  );
const x = tensorFrom('float32', [1, 4], [-1, 2, -3, 4]);

describe('webgpu target: errors at compile time', () => {
  it('an op the target cannot lower fails at compile time, naming op and node', () => {
    const lpNorm = model(
      graph({
        inputs: [value('x', 'float32', [4, 4])],
        outputs: [value('y', 'float32', [4, 4])],
        nodes: [node('LpNormalization', ['x'], ['y'], {}, 'the_lpnorm')],
      }),
    );
    expect(() => compileWebGpu(lpNorm)).toThrow(KilnError);
    expect(() => compileWebGpu(lpNorm)).toThrow(
      /node 'the_lpnorm'.*op LpNormalization.*cannot be lowered for the webgpu target/,
    );
  });

  it('a GPU object that finds no adapter fails clearly, after the artifact was verified', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    const session = WebGpuSession.create(await artifactOf(tiny()), { gpu, file: 'tiny.kiln' });
    await expect(session).rejects.toThrow(/tiny\.kiln.*no WebGPU adapter/s);
  });
});

describe.skipIf(!hasAdapter)(gpuNote('webgpu runtime: device errors'), () => {
  it('runs, refuses bad feeds, and rejects clearly after device loss; a new session works', async () => {
    const bytes = await artifactOf(tiny());
    const gpu = await nodeWebGpu();
    const session = await WebGpuSession.create(bytes, { gpu });
    expect(session.manifest.target.name).toBe('webgpu');
    expect(Object.keys(session.manifest.files).some((f) => f.endsWith('.wgsl'))).toBe(true);
    expect([...(await session.run({ x })).y!.data]).toEqual([0, 2, 0, 4]);
    await expect(session.run({ x: tensorFrom('float32', [4], [1, 2, 3, 4]) })).rejects.toThrow(
      /input 'x' is float32\[4\].*expected: float32\[1,4\]/,
    );
    session.instance.device.destroy();
    await expect(session.run({ x })).rejects.toThrow(/WebGPU device lost.*create one/);
    const again = await WebGpuSession.create(bytes, { gpu });
    expect([...(await again.run({ x })).y!.data]).toEqual([0, 2, 0, 4]);
    again.release();
  });

  it('a model larger than the adapter can bind is refused at load with the sizes', async () => {
    const big = model(
      graph({
        inputs: [value('x', 'float32', [1, 4])],
        outputs: [value('y', 'float32', [1, 4])],
        nodes: [node('Relu', ['x'], ['y'])],
      }),
    );
    const compiled = compileWebGpu(big);
    compiled.layout.arenaBytes = 2 ** 40; // as if the activations needed 1 TiB
    const session = WebGpuSession.create(await webGpuArtifact(compiled), { gpu: await nodeWebGpu() });
    await expect(session).rejects.toThrow(/needs a 1099511627776-byte storage buffer/);
    const ok = await WebGpuSession.create(await artifactOf(tiny()), { gpu: await nodeWebGpu() });
    expect([...(await ok.run({ x })).y!.data]).toEqual([0, 2, 0, 4]);
    ok.release();
  });
});
