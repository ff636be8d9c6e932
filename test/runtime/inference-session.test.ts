import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import * as ortNode from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportModel } from '../../compiler/onnx/export.js';
import { InferenceSession } from '../../runtime/inference-session.js';
import { Tensor } from '../../runtime/ort-tensor.js';
import { KilnError } from '../../runtime/errors.js';
import { Tensor as KilnTensor } from '../../runtime/tensor.js';
import { compileWasm, wasmArtifact } from '../../targets/wasm/compile.js';
import { compileWebGpu, webGpuArtifact } from '../../targets/webgpu/compile.js';
import { gpuNote, hasAdapter } from '../targets/webgpu/adapter.js';
import { graph, model, node, value } from '../helpers/build.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

/** y = relu(x·W + b), z = sigmoid(x) for a [2,4] input: two outputs, weights, a GEMM and a loop kernel. */
function smallModel() {
  const w = new KilnTensor(
    'float32',
    [4, 3],
    Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 2),
  );
  const b = new KilnTensor('float32', [3], new Float32Array([0.5, -1, 0.25]));
  return model(
    graph({
      inputs: [value('x', 'float32', [2, 4])],
      outputs: [value('y', 'float32', [2, 3]), value('z', 'float32', [2, 4])],
      nodes: [
        node('MatMul', ['x', 'w'], ['xw']),
        node('Add', ['xw', 'b'], ['xwb']),
        node('Relu', ['xwb'], ['y']),
        node('Sigmoid', ['x'], ['z']),
      ],
      initializers: { w, b },
    }),
  );
}

const x = () =>
  new Tensor(
    'float32',
    Float32Array.from({ length: 8 }, (_, i) => i / 2 - 2),
    [2, 4],
  );

describe('InferenceSession', () => {
  let bytes: Uint8Array;
  let onnx: Uint8Array;
  let dir: string;
  beforeAll(async () => {
    onnx = exportModel(smallModel());
    bytes = await wasmArtifact(compileWasm(smallModel()));
    dir = mkdtempSync(join(tmpdir(), 'kiln-session-'));
    writeFileSync(join(dir, 'small.kiln'), bytes);
  });

  it('runs from a path, a file URL, an ArrayBuffer or bytes, matching onnxruntime-node', async () => {
    const ort = await ortNode.InferenceSession.create(onnx);
    const want = await ort.run({ x: new ortNode.Tensor('float32', x().data as Float32Array, [2, 4]) });
    const path = join(dir, 'small.kiln');
    const copy = bytes.slice();
    for (const source of [path, pathToFileURL(path), copy.buffer, bytes]) {
      const session = await InferenceSession.create(source);
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['y', 'z']);
      expect(session.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: 'float32', shape: [2, 4] }]);
      const out = await session.run({ x: x() });
      expect(out.y).toBeInstanceOf(Tensor);
      expect(out.y!.dims).toEqual([2, 3]);
      for (const name of ['y', 'z']) {
        const got = out[name]!.data as Float32Array;
        const ref = want[name]!.data as Float32Array;
        got.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 5));
      }
      await session.release();
    }
  });

  it('accepts onnxruntime tensors as feeds, fetches by name, and (buffer, offset, length)', async () => {
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes, 8);
    const session = await InferenceSession.create(padded.buffer, 8, bytes.length, {
      executionProviders: ['wasm'],
    });
    const feed = new ortNode.Tensor('float32', x().data as Float32Array, [2, 4]);
    expect(Object.keys(await session.run({ x: feed }, ['z']))).toEqual(['z']);
    expect(Object.keys(await session.run({ x: feed }, { y: null }))).toEqual(['y']);
    expect(Object.keys(await session.run({ x: feed }, { logSeverityLevel: 0 }))).toEqual(['y', 'z']);
  });

  it('bad feeds are KilnErrors naming the input and what was expected', async () => {
    const session = await InferenceSession.create(bytes);
    await expect(session.run({})).rejects.toThrow(
      /missing input 'x' \(expected: a float32 tensor of dims \[2,4\]\)/,
    );
    await expect(session.run({ x: x(), q: x() })).rejects.toThrow(
      /unknown input 'q' \(expected: inputs named 'x'\)/,
    );
    await expect(session.run({ x: new Tensor('int32', new Int32Array(8), [2, 4]) })).rejects.toThrow(
      /input 'x' is int32 \(expected: float32/,
    );
    await expect(session.run({ x: new Tensor('float32', new Float32Array(8), [4, 2]) })).rejects.toThrow(
      /input 'x' has dims \[4,2\] \(expected: dims \[2,4\]\)/,
    );
    await expect(session.run({ x: new Float32Array(8) })).rejects.toThrow(
      /input 'x' is a Float32Array, not a tensor/,
    );
    await expect(session.run({ x: x() }, ['w'])).rejects.toThrow(/unknown output 'w' in fetches/);
    await session.release();
    await expect(session.run({ x: x() })).rejects.toThrow(/the session was released/);
  });

  it('a truncated or edited artifact is refused at create, naming the file and the entry', async () => {
    const path = join(dir, 'bad.kiln');
    writeFileSync(path, bytes.subarray(0, bytes.length - 1500));
    await expect(InferenceSession.create(path)).rejects.toThrow(KilnError);
    await expect(InferenceSession.create(path)).rejects.toThrow(/bad\.kiln/);
    const edited = bytes.slice();
    const at = Buffer.from(bytes).indexOf(Buffer.from([0, 0x61, 0x73, 0x6d])) + 12;
    edited[at] = edited[at]! ^ 0xff;
    writeFileSync(path, edited);
    await expect(InferenceSession.create(path)).rejects.toThrow(
      /\[file .*bad\.kiln\] entry 'model(\.relaxed)?\.wasm' is corrupt: its sha256 is/,
    );
    await expect(InferenceSession.create(join(dir, 'absent.kiln'))).rejects.toThrow(
      /absent\.kiln.*could not read the artifact/,
    );
    await expect(InferenceSession.create(42 as never)).rejects.toThrow(/cannot load an artifact from number/);
  });

  it('an artifact for a provider the caller did not ask for is refused', async () => {
    await expect(InferenceSession.create(bytes, { executionProviders: ['webgpu'] })).rejects.toThrow(
      /artifact targets wasm, not one of the execution providers webgpu/,
    );
    expect(await InferenceSession.create(bytes, { executionProviders: ['cpu'] })).toBeInstanceOf(
      InferenceSession,
    );
  });
});

describe.skipIf(!hasAdapter)(gpuNote('InferenceSession on a webgpu artifact'), () => {
  it('runs on Dawn without options, matching onnxruntime-node; provider checks name webgpu', async () => {
    const bytes = await webGpuArtifact(compileWebGpu(smallModel()));
    const ort = await ortNode.InferenceSession.create(exportModel(smallModel()));
    const want = await ort.run({ x: new ortNode.Tensor('float32', x().data as Float32Array, [2, 4]) });
    const session = await InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
    expect(session.manifest.target.name).toBe('webgpu');
    const out = await session.run({ x: x() });
    for (const name of ['y', 'z']) {
      const got = out[name]!.data as Float32Array;
      const ref = want[name]!.data as Float32Array;
      got.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 4));
    }
    await session.release();
    await expect(InferenceSession.create(bytes, { executionProviders: ['cpu', 'wasm'] })).rejects.toThrow(
      /artifact targets webgpu, not one of the execution providers cpu, wasm/,
    );
  });
});
