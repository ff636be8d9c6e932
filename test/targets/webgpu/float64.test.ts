import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../../../runtime/webgpu/session.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { graph, int, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';
import { gpuNote, hasAdapter } from './adapter.js';

/**
 * float64 on the webgpu target is computed as float32 (WGSL has no 64-bit floats): results agree with
 * onnxruntime's float64 ones to f32 precision; a value beyond f32's range is refused, never made ±Inf.
 */
const f64Model = (k: Tensor) =>
  model(
    graph({
      inputs: [value('x', 'float64', [2, 3])],
      outputs: [value('y', 'float64', [2, 3]), value('r', 'float64', [2]), value('e', 'float64', [2, 3])],
      nodes: [
        node('Add', ['x', 'k'], ['y']),
        node('ReduceSum', ['y', 'axes'], ['r'], { keepdims: int(0) }),
        node('Max', ['x', 'z'], ['e']),
      ],
      initializers: { k, z: tensorFrom('float64', [], [0]), axes: tensorFrom('int64', [1], [1n]) },
    }),
    13,
  );

const K = tensorFrom('float64', [3], [0.1, 1e10, -2.5]);
const x = (v: number[]) => ({ x: tensorFrom('float64', [2, 3], v) });

describe('float64 initializers on the webgpu target (compile time, no GPU needed)', () => {
  it('refuses an initializer beyond float32, naming it, the index and the value', () => {
    expect(() => compileWebGpu(f64Model(tensorFrom('float64', [3], [1, 2, 1e39])))).toThrow(
      /float64 initializer 'k' holds 1e\+39 at index 2, beyond float32's range/,
    );
  });
});

describe.skipIf(!hasAdapter)(gpuNote('float64 on the webgpu target'), () => {
  it(
    'matches onnxruntime-node to float32 precision, with float64 outputs',
    { timeout: 120_000 },
    async () => {
      const s = await WebGpuSession.create(await webGpuArtifact(compileWebGpu(f64Model(K))), {
        gpu: await nodeWebGpu(),
      });
      try {
        const feeds = x([1.5, -3.25, 0.001, 2, 1e-3, -7]);
        const ours = await s.run(feeds);
        const ort = await runOrt(exportModel(f64Model(K)), feeds);
        for (const name of ['y', 'r', 'e']) {
          expect(ours[name]!.dtype, name).toBe('float64');
          expect(compareTensors(ours[name]!, ort[name]!, { rtol: 1e-6, atol: 1e-6 }), name).toBeUndefined();
        }
        await expect(s.run(x([0, 1e300, 0, 0, 0, 0]))).rejects.toThrow(
          /input 'x' holds 1e\+300 at index 1, beyond float32's range.*computes float64 as float32/,
        );
        // infinities are values float32 has: passed through
        expect((await s.run(x([Infinity, 0, 0, 0, 0, 0]))).e!.data[0]).toBe(Infinity);
      } finally {
        s.release();
      }
    },
  );
});
