import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../runtime/errors.js';
import { InferenceSession } from '../../../runtime/inference-session.js';
import { Tensor } from '../../../runtime/ort-tensor.js';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../../../runtime/webgpu/session.js';
import { gpuNote, hasAdapter } from '../../targets/webgpu/adapter.js';
import { runOrt } from '../../helpers/ort.js';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { toKilnTensor } from '../../../runtime/tensor-interop.js';
import { faultyGpu } from './faulty-gpu.js';
import { artifactOf, inputA, modelA } from './models.js';

const TOL = { rtol: 1e-3, atol: 1e-3 };
const x = inputA();
const feeds = () => ({ x: new Tensor('float32', x.data as Float32Array, x.shape) });

/** Lavapipe compiles shaders on first dispatch; a loaded 2-core CI machine is slow. */
const SLOW = { timeout: 300_000 };

/** Ways to lose the device while a run is in flight: before its work is queued, and while it maps. */
const LOSS_POINTS: [string, () => Promise<unknown>][] = [
  ['as the run starts', async () => undefined],
  ['after a macrotask (work submitted)', () => new Promise((r) => setImmediate(r))],
  ['after 20 ms (mapping the outputs)', () => new Promise((r) => setTimeout(r, 20))],
];

describe.skipIf(!hasAdapter)(gpuNote('webgpu runtime: device loss and out-of-memory'), () => {
  it('reference: model A on Dawn matches onnxruntime-node', SLOW, async () => {
    const session = await InferenceSession.create(await artifactOf(modelA()));
    const ours = await session.run(feeds());
    const ort = await runOrt(exportModel(modelA()), { x });
    expect(compareTensors(toKilnTensor(ours.y, 'y'), ort.y!, TOL)).toBeUndefined();
    await session.release();
  });

  for (const [when, wait] of LOSS_POINTS) {
    it(`a device lost ${when} rejects the run with a KilnError; a new session runs`, SLOW, async () => {
      const bytes = await artifactOf(modelA());
      const gpu = await nodeWebGpu();
      const adapter = (await gpu.requestAdapter())!;
      const device = await adapter.requestDevice();
      const session = await InferenceSession.create(bytes, { device });
      const expected = (await session.run(feeds())).y!.data; // pipelines compiled, a good run first
      const run = session.run(feeds());
      await wait();
      device.destroy();
      const err = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      // a run whose work completed before the loss may still succeed; if it fails, it says why
      if (err !== undefined) {
        expect(err).toBeInstanceOf(KilnError);
        expect((err as Error).message).toMatch(/WebGPU device lost \(destroyed\).*expected: a new session/);
      }
      await expect(session.run(feeds())).rejects.toThrow(/WebGPU device lost \(destroyed\)/);
      await session.release();
      const again = await InferenceSession.create(bytes);
      expect([...(await again.run(feeds())).y!.data]).toEqual([...expected]);
      await again.release();
    });
  }

  it(
    'a session whose own device is lost mid-run rejects every run after; others are unaffected',
    SLOW,
    async () => {
      const bytes = await artifactOf(modelA());
      const gpu = await nodeWebGpu();
      const lost = await WebGpuSession.create(bytes, { gpu });
      const other = await WebGpuSession.create(bytes, { gpu });
      const expected = (await other.run({ x })).y!.data;
      const run = lost.run({ x });
      lost.instance.device.destroy();
      await expect(run).rejects.toThrow(/WebGPU device lost \(destroyed\)/);
      await expect(lost.run({ x })).rejects.toThrow(/WebGPU device lost/);
      expect([...(await other.run({ x })).y!.data]).toEqual([...expected]);
      other.release();
    },
  );

  it(
    'out of GPU memory while loading rejects with a KilnError; the device is freed and a new session runs',
    SLOW,
    async () => {
      const bytes = await artifactOf(modelA());
      const faulty = faultyGpu(await nodeWebGpu(), (d) => d.label === 'kiln arena');
      const failed = InferenceSession.create(bytes, { gpu: faulty.gpu });
      await expect(failed).rejects.toThrow(KilnError);
      await expect(failed).rejects.toThrow(/out of GPU memory while loading the model \(arena \d+ bytes/);
      expect(faulty.failures).toBe(1);
      // the session's own device was destroyed, not leaked
      const info = await Promise.race([faulty.devices[0]!.lost, new Promise((r) => setTimeout(r, 5000))]);
      expect((info as GPUDeviceLostInfo | undefined)?.reason).toBe('destroyed');
      const again = await InferenceSession.create(bytes);
      expect((await again.run(feeds())).y!.dims).toEqual([2, 16]);
      await again.release();
    },
  );

  it(
    'out of GPU memory during a run (an output buffer) rejects with a KilnError; the session runs again',
    SLOW,
    async () => {
      const bytes = await artifactOf(modelA());
      let failNext = false;
      const faulty = faultyGpu(await nodeWebGpu(), (d) => failNext && d.label === 'kiln output y');
      const session = await InferenceSession.create(bytes, {
        gpu: faulty.gpu,
        preferredOutputLocation: 'gpu-buffer',
      });
      failNext = true;
      await expect(session.run(feeds())).rejects.toThrow(
        /out of GPU memory during a run: injected.*expected: free GPU memory/,
      );
      failNext = false;
      const y = (await session.run(feeds())).y!;
      expect(y.location).toBe('gpu-buffer');
      const cpu = await InferenceSession.create(bytes);
      expect([...(await y.getData(true))]).toEqual([...(await cpu.run(feeds())).y!.data]);
      await session.release();
      await cpu.release();
    },
  );
});
