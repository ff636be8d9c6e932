import { describe, expect, it } from 'vitest';
import { selfTest } from '../../../fleet/agent/self-test.js';
import { readArtifact, writeArtifact } from '../../../runtime/artifact/index.js';
import { InferenceSession } from '../../../runtime/inference-session.js';
import {
  SELF_TEST_INPUTS,
  SELF_TEST_OUTPUTS,
  WEBGPU_SELF_TEST_TOLERANCE,
  packTensors,
  unpackTensors,
} from '../../../runtime/self-test-sample.js';
import { Tensor } from '../../../runtime/tensor.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { gpuNote, hasAdapter } from './adapter.js';
import { mixedModel } from './mixed-model.js';

/**
 * A webgpu artifact's stored self-test (manifest `selfTest`: seeded inputs and the reference
 * executor's outputs, computed at compile time) under the fleet agent's check, on Dawn (lavapipe in CI).
 * The model mixes a GEMM and loop kernels, float/int64/bool inputs and float/int64/bool outputs.
 */
/** The artifact rewritten with some files replaced (as an insider with the signing key could). */
async function tampered(bytes: Uint8Array, change: (files: Map<string, Uint8Array>) => void) {
  const { manifest, files } = await readArtifact(bytes);
  change(files);
  const { files: _old, ...draft } = manifest;
  return writeArtifact({ manifest: draft, files });
}

describe('webgpu artifact self-test sample (compile time)', () => {
  it('is stored with the webgpu tolerance, and left out with selfTest: false', async () => {
    const { manifest, files } = await readArtifact(await webGpuArtifact(compileWebGpu(mixedModel())));
    expect(manifest.selfTest).toEqual({
      inputs: SELF_TEST_INPUTS,
      outputs: SELF_TEST_OUTPUTS,
      ...WEBGPU_SELF_TEST_TOLERANCE,
    });
    const [x, idx, m] = unpackTensors(files.get(SELF_TEST_INPUTS)!, 3, 'in');
    expect([x!.dtype, idx!.dtype, m!.dtype]).toEqual(['float32', 'int64', 'bool']);
    const [y, arg, sel] = unpackTensors(files.get(SELF_TEST_OUTPUTS)!, 3, 'out');
    expect([y!.dtype, arg!.dtype, sel!.dtype]).toEqual(['float32', 'int64', 'float32']);
    expect(y!.shape).toEqual([3, 5]);

    const without = await readArtifact(
      await webGpuArtifact(compileWebGpu(mixedModel(), { selfTest: false })),
    );
    expect(without.manifest.selfTest).toBeUndefined();
    expect(without.files.has(SELF_TEST_INPUTS)).toBe(false);
  });
});

describe.skipIf(!hasAdapter)(gpuNote("webgpu artifact self-test under the agent's check"), () => {
  const check = async (bytes: Uint8Array) => {
    const session = await InferenceSession.create(bytes);
    try {
      await selfTest(session);
    } finally {
      await session.release();
    }
  };

  it('passes on the GPU', { timeout: 180_000 }, async () => {
    await check(await webGpuArtifact(compileWebGpu(mixedModel())));
  });

  it('fails for changed weights, naming the output and the max error', { timeout: 180_000 }, async () => {
    const bytes = await webGpuArtifact(compileWebGpu(mixedModel()));
    const wrong = await tampered(bytes, (files) => {
      const w = files.get('weights.bin')!.slice();
      const words = new Float32Array(w.buffer, w.byteOffset, w.length / 4);
      for (let i = 0; i < words.length; i++) words[i] = words[i]! * 1.5;
      files.set('weights.bin', w);
    });
    await expect(check(wrong)).rejects.toThrow(
      /self-test failed: output 'y' differs from the stored expected output \(max error [0-9.e-]+;/,
    );
  });

  it('fails for a changed expected int64 output', { timeout: 180_000 }, async () => {
    const bytes = await webGpuArtifact(compileWebGpu(mixedModel()));
    const wrong = await tampered(bytes, (files) => {
      const outs = unpackTensors(files.get(SELF_TEST_OUTPUTS)!, 3, 'out');
      const arg = outs[1]!;
      const data = BigInt64Array.from(arg.data as BigInt64Array, (v) => (v + 1n) % 5n);
      outs[1] = new Tensor('int64', arg.shape, data);
      files.set(SELF_TEST_OUTPUTS, packTensors(outs));
    });
    await expect(check(wrong)).rejects.toThrow(/self-test failed: output 'arg' differs/);
  });
});
