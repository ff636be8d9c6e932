import { describe, expect, it } from 'vitest';
import { exportModel } from '../../../compiler/onnx/export.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../../../runtime/webgpu/session.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { graph, int, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';
import { gpuNote, hasAdapter } from './adapter.js';

/**
 * int64 on the webgpu target is computed as int32 (WGSL has no 64-bit integers): inputs are narrowed
 * on upload with a range check, initializers at compile time, outputs written back as int64.
 */

/** Gather by int64 indices (negative ones too), and int64 arithmetic with an int64 initializer. */
const indexModel = (k: Tensor) =>
  model(
    graph({
      inputs: [value('x', 'float32', [4, 3]), value('idx', 'int64', [3]), value('a', 'int64', [3])],
      outputs: [value('g', 'float32', [3, 3]), value('s', 'int64', [3]), value('gi', 'int64', [3])],
      nodes: [
        node('Gather', ['x', 'idx'], ['g'], { axis: int(0) }),
        node('Add', ['a', 'k'], ['s']),
        // an int64 value computed on the GPU and then read again there (Gather of it)
        node('Gather', ['s', 'idx'], ['gi'], { axis: int(0) }),
      ],
      initializers: { k: k },
    }),
  );

/** The self-test sample's seeded indices (0..9) would be out of range for x's 4 rows. */
const NO_SAMPLE = { selfTest: false };

const feeds = (a: bigint[]) => ({
  x: tensorFrom('float32', [4, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  idx: tensorFrom('int64', [3], [2n, -1n, 0n]),
  a: tensorFrom('int64', [3], a),
});

async function session(k: Tensor) {
  return WebGpuSession.create(await webGpuArtifact(compileWebGpu(indexModel(k), NO_SAMPLE)), {
    gpu: await nodeWebGpu(),
  });
}

describe('int64 initializers on the webgpu target (compile time, no GPU needed)', () => {
  it('refuses an initializer outside int32, naming it, the index and the value', () => {
    expect(() =>
      compileWebGpu(indexModel(tensorFrom('int64', [3], [1n, 5000000000n, 3n])), NO_SAMPLE),
    ).toThrow(/int64 initializer 'k' holds 5000000000 at index 1, outside int32/);
  });
});

describe.skipIf(!hasAdapter)(gpuNote('int64 inputs on the webgpu target'), () => {
  const k = tensorFrom('int64', [3], [10n, -20n, 2147483000n]);

  it('matches onnxruntime-node on int64 indices, arithmetic and outputs', { timeout: 120_000 }, async () => {
    const s = await session(k);
    try {
      const f = feeds([1n, -2147483000n, 600n]);
      const ours = await s.run(f);
      const ort = await runOrt(exportModel(indexModel(k)), f);
      for (const name of ['g', 's', 'gi']) {
        expect(ours[name]!.dtype, name).toBe(ort[name]!.dtype);
        expect([...ours[name]!.data].map(String), name).toEqual([...ort[name]!.data].map(String));
      }
      expect([...ours.s!.data]).toEqual([11n, -2147483020n, 2147483600n]);
    } finally {
      s.release();
    }
  });

  it(
    'refuses an input value outside int32, naming the input, index and value',
    { timeout: 120_000 },
    async () => {
      const s = await session(k);
      try {
        await expect(s.run(feeds([1n, 2n, 2147483648n]))).rejects.toThrow(
          /input 'a' holds 2147483648 at index 2, outside int32.*computes int64 as int32/,
        );
        await expect(s.run(feeds([-2147483649n, 2n, 3n]))).rejects.toThrow(
          /input 'a' holds -2147483649 at index 0/,
        );
        // the session still runs in-range inputs afterwards
        expect([...(await s.run(feeds([0n, 0n, 0n]))).s!.data]).toEqual([10n, -20n, 2147483000n]);
      } finally {
        s.release();
      }
    },
  );

  it(
    'wraps arithmetic that leaves int32, as documented (onnxruntime would give the int64 sum)',
    { timeout: 120_000 },
    async () => {
      const s = await session(k);
      try {
        const out = await s.run(feeds([0n, 0n, 1000n]));
        expect(out.s!.data[2]).toBe(2147484000n - 4294967296n);
      } finally {
        s.release();
      }
    },
  );
});
