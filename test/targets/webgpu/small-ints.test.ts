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

/** Pad stores its constant: -1 and -128 as i32 words are NaN bits, which WGSL refuses as a constant. */
const padModel = () =>
  model(
    graph({
      inputs: [value('x', 'int32', [2, 2]), value('b', 'int8', [3])],
      outputs: [value('y', 'int32', [2, 4]), value('c', 'int8', [5])],
      nodes: [node('Pad', ['x', 'pads', 'minus1'], ['y']), node('Pad', ['b', 'pads8', 'minus128'], ['c'])],
      initializers: {
        pads: tensorFrom('int64', [4], [0, 1, 0, 1]),
        minus1: tensorFrom('int32', [], [-1]),
        pads8: tensorFrom('int64', [2], [1, 1]),
        minus128: tensorFrom('int8', [], [-128]),
      },
    }),
    18,
  );

describe.skipIf(!hasAdapter)(gpuNote('negative integer constants stored on the webgpu target'), () => {
  it('Pad with -1 (int32) and -128 (int8) matches onnxruntime-node', { timeout: 120_000 }, async () => {
    const feeds = {
      x: tensorFrom('int32', [2, 2], [1, 2, 3, 4]),
      b: tensorFrom('int8', [3], [5, -6, 7]),
    };
    const ort = await runOrt(exportModel(padModel()), feeds);
    const s = await WebGpuSession.create(
      await webGpuArtifact(compileWebGpu(padModel(), { selfTest: false })),
      { gpu: await nodeWebGpu() },
    );
    try {
      const ours = await s.run(feeds);
      expect([...ours.y!.data]).toEqual([...ort.y!.data]);
      expect([...ours.y!.data]).toEqual([-1, 1, 2, -1, -1, 3, 4, -1]);
      expect([...ours.c!.data]).toEqual([...ort.c!.data]);
    } finally {
      s.release();
    }
  });
});
