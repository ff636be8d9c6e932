import { describe, expect, it } from 'vitest';
import { exportModel } from '../../../compiler/onnx/export.js';
import { InferenceSession } from '../../../runtime/inference-session.js';
import { Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { fromKilnTensor, toKilnTensor } from '../../../runtime/tensor-interop.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';
import { gpuNote, hasAdapter } from './adapter.js';

/** y = Reshape(x, shape) + 1 with the int64 shape bound at compile time (--bind), on the GPU. */
const reshapeModel = () =>
  model(
    graph({
      inputs: [value('x', 'float32', [2, 6]), value('shape', 'int64', [3])],
      outputs: [value('y', 'float32')],
      nodes: [node('Reshape', ['x', 'shape'], ['r']), node('Add', ['r', 'one'], ['y'])],
      initializers: { one: new Tensor('float32', [], new Float32Array([1])) },
    }),
    13,
  );

const shape = () => tensorFrom('int64', [3], [3, -1, 2]);
const x = () =>
  new Tensor(
    'float32',
    [2, 6],
    Float32Array.from({ length: 12 }, (_, i) => i - 5),
  );

describe.skipIf(!hasAdapter)(gpuNote('webgpu: binding a shape input (--bind)'), () => {
  it('runs with the bound value, matching onnxruntime-node, and refuses another', async () => {
    const want = await runOrt(exportModel(reshapeModel()), { x: x(), shape: shape() });
    const bytes = await webGpuArtifact(
      compileWebGpu(reshapeModel(), { bind: new Map([['shape', shape()]]) }),
    );
    const session = await InferenceSession.create(bytes);
    try {
      expect(session.inputNames).toEqual(['x', 'shape']);
      const got = await session.run({ x: fromKilnTensor(x()), shape: fromKilnTensor(shape()) });
      expect(got.y!.dims).toEqual([3, 2, 2]);
      expect(compareTensors(toKilnTensor(got.y!, 'y'), want.y!, { rtol: 1e-6, atol: 0 })).toBeUndefined();
      await expect(
        session.run({ x: fromKilnTensor(x()), shape: fromKilnTensor(tensorFrom('int64', [3], [2, -1, 3])) }),
      ).rejects.toThrow(/input 'shape' was bound at compile time to int64 \[3, -1, 2\]/);
    } finally {
      await session.release();
    }
  });
});
