import { describe, expect, it } from 'vitest';
import { exportModel } from '../../../compiler/onnx/export.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../../../runtime/webgpu/session.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { graph, int, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';
import { gpuNote, hasAdapter } from './adapter.js';

/**
 * int8/uint8/int16/uint16 on the webgpu target: one i32 word per element (widen-small-ints.ts), stores
 * keeping the low bits as a narrow store does, so wrap-around matches onnxruntime.
 */
const smallIntModel = () =>
  model(
    graph({
      inputs: [value('a', 'uint8', [5]), value('q', 'int8', [5]), value('h', 'uint16', [5])],
      outputs: [
        value('s', 'uint8', [5]),
        value('d', 'float32', [5]),
        value('m', 'uint16', [5]),
        value('sf', 'float32', [5]),
        value('nf', 'float32', [5]),
      ],
      nodes: [
        node('Add', ['a', 'k'], ['s']),
        node('DequantizeLinear', ['q', 'scale', 'zp'], ['d']),
        node('Add', ['h', 'k16'], ['m']),
        // wrapped values read again on the GPU: the stores must keep only the low bits
        node('Cast', ['s'], ['sf'], { to: int(1) }),
        node('Sub', ['q', 'k8'], ['n']),
        node('Cast', ['n'], ['nf'], { to: int(1) }),
      ],
      initializers: {
        k: tensorFrom('uint8', [5], [100, 200, 0, 255, 1]),
        scale: tensorFrom('float32', [], [0.5]),
        zp: tensorFrom('int8', [], [-3]),
        k16: tensorFrom('uint16', [5], [65535, 1, 40000, 0, 300]),
        k8: tensorFrom('int8', [5], [100, -100, 0, 127, -128]),
      },
    }),
    14,
  );

describe.skipIf(!hasAdapter)(gpuNote('8/16-bit integers on the webgpu target'), () => {
  it('match onnxruntime-node, wrap-around included', { timeout: 120_000 }, async () => {
    const m = smallIntModel();
    const feeds = {
      a: tensorFrom('uint8', [5], [200, 100, 7, 255, 0]),
      q: tensorFrom('int8', [5], [-128, 127, 0, -1, 5]),
      h: tensorFrom('uint16', [5], [2, 65535, 40000, 9, 0]),
    };
    const ort = await runOrt(exportModel(smallIntModel()), feeds);
    const s = await WebGpuSession.create(await webGpuArtifact(compileWebGpu(m, { selfTest: false })), {
      gpu: await nodeWebGpu(),
    });
    try {
      const ours = await s.run(feeds);
      for (const name of ['s', 'd', 'm', 'sf', 'nf']) {
        expect(ours[name]!.dtype, name).toBe(ort[name]!.dtype);
        expect([...ours[name]!.data], name).toEqual([...ort[name]!.data]);
      }
      expect([...ours.sf!.data]).toEqual([44, 44, 7, 254, 1]);
      expect([...ours.nf!.data]).toEqual([28, -29, 0, -128, -123]);
    } finally {
      s.release();
    }
  });
});
