import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { KilnError } from '../../../runtime/errors.js';
import { InferenceSession } from '../../../runtime/inference-session.js';
import { Tensor } from '../../../runtime/ort-tensor.js';
import { toKilnTensor } from '../../../runtime/tensor-interop.js';
import { BufferUsage } from '../../../runtime/webgpu/flags.js';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { runOrt } from '../../helpers/ort.js';
import { gpuNote, hasAdapter } from '../../targets/webgpu/adapter.js';
import { artifactOf, inputA, modelA, modelB } from './models.js';

const SLOW = { timeout: 300_000 };
const x = inputA();
const cpuX = () => new Tensor('float32', x.data as Float32Array, x.shape);

describe.skipIf(!hasAdapter)(gpuNote('webgpu runtime: GPU-resident inputs and outputs'), () => {
  let device: GPUDevice;
  let a: InferenceSession; // outputs kept on the GPU
  let b: InferenceSession; // outputs read back
  let aCpu: InferenceSession;

  /** A buffer of the shared device holding `data`, usable as a feed (COPY_SRC) unless told otherwise. */
  const upload = (data: Float32Array, usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC, on = device) => {
    const buffer = on.createBuffer({ size: data.byteLength, usage, mappedAtCreation: true });
    new Float32Array(buffer.getMappedRange()).set(data);
    buffer.unmap();
    return buffer;
  };

  beforeAll(async () => {
    device = await (await (await nodeWebGpu()).requestAdapter())!.requestDevice();
    a = await InferenceSession.create(await artifactOf(modelA()), {
      device,
      preferredOutputLocation: 'gpu-buffer',
    });
    b = await InferenceSession.create(await artifactOf(modelB()), { device });
    aCpu = await InferenceSession.create(await artifactOf(modelA()), { device });
  }, 300_000);

  afterAll(async () => {
    await Promise.all([a, b, aCpu].map((s) => s?.release()));
    device?.destroy();
  });

  it(
    "model A's GPU output fed to model B gives the CPU round trip's result, with one readback (B's)",
    SLOW,
    async () => {
      // the reference: A's output read back, then uploaded to B
      const yCpu = (await aCpu.run({ x: cpuX() })).y!;
      const zCpu = (await b.run({ y: yCpu })).z!;
      // and that round trip is right: B(A(x)) vs onnxruntime-node
      const ortY = await runOrt(exportModel(modelA()), { x });
      const ortZ = await runOrt(exportModel(modelB()), { y: ortY.y! });
      expect(compareTensors(toKilnTensor(zCpu, 'z'), ortZ.z!, { rtol: 1e-3, atol: 1e-3 })).toBeUndefined();

      const proto = Object.getPrototypeOf(
        device.createBuffer({ size: 4, usage: BufferUsage.COPY_DST }),
      ) as GPUBuffer;
      const mapAsync = vi.spyOn(proto, 'mapAsync');
      try {
        const y = (await a.run({ x: cpuX() })).y!;
        expect(y.location).toBe('gpu-buffer');
        expect(y.dims).toEqual([2, 16]);
        expect(mapAsync).toHaveBeenCalledTimes(0); // A read nothing back
        expect(() => y.data).toThrow(/in a GPU buffer.*getData/);
        const z = (await b.run({ y })).z!;
        expect(mapAsync).toHaveBeenCalledTimes(1); // B's output only
        expect([...z.data]).toEqual([...zCpu.data]);
        // the chained tensor is the caller's: downloading it is the second readback, and frees it
        expect([...(await y.getData(true))]).toEqual([...yCpu.data]);
        expect(mapAsync).toHaveBeenCalledTimes(2);
        expect(y.location).toBe('cpu');
      } finally {
        mapAsync.mockRestore();
      }
    },
  );

  it('a GPU buffer of the caller is fed without upload and gives the CPU feed result', SLOW, async () => {
    const buffer = upload(x.data as Float32Array);
    const fed = Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: [2, 16] });
    const viaGpu = (await aCpu.run({ x: fed })).y!;
    const viaCpu = (await aCpu.run({ x: cpuX() })).y!;
    expect([...viaGpu.data]).toEqual([...viaCpu.data]);
    // the caller still owns it: the session did not free it, it can be fed again
    expect([...(await aCpu.run({ x: fed })).y!.data]).toEqual([...viaCpu.data]);
    buffer.destroy();
  });

  it('GPU feeds are checked as CPU feeds are: dtype, dims, size, usage, device', SLOW, async () => {
    const good = upload(x.data as Float32Array);
    const feed = (t: Tensor) => aCpu.run({ x: t });
    await expect(feed(Tensor.fromGpuBuffer(good, { dataType: 'float32', dims: [1, 32] }))).rejects.toThrow(
      /input 'x' has dims \[1,32\].*expected: dims \[2,16\]/,
    );
    await expect(feed(Tensor.fromGpuBuffer(good, { dataType: 'int32', dims: [2, 16] }))).rejects.toThrow(
      /input 'x' is int32.*expected: float32/,
    );
    const small = upload(new Float32Array(8));
    await expect(feed(Tensor.fromGpuBuffer(small, { dataType: 'float32', dims: [2, 16] }))).rejects.toThrow(
      /input 'x' is a 32-byte GPU buffer.*expected: at least 128 bytes/,
    );
    const noCopy = upload(x.data as Float32Array, BufferUsage.STORAGE);
    await expect(feed(Tensor.fromGpuBuffer(noCopy, { dataType: 'float32', dims: [2, 16] }))).rejects.toThrow(
      /without COPY_SRC usage/,
    );
    const otherDevice = await (await (await nodeWebGpu()).requestAdapter())!.requestDevice();
    const foreign = upload(x.data as Float32Array, undefined, otherDevice);
    const err = await feed(Tensor.fromGpuBuffer(foreign, { dataType: 'float32', dims: [2, 16] })).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(KilnError);
    expect((err as Error).message).toMatch(
      /WebGPU rejected a run.*expected: GPU-buffer inputs created on this session's device/s,
    );
    otherDevice.destroy();
    expect(() => Tensor.fromGpuBuffer(good, { dataType: 'int64', dims: [2, 16] })).toThrow(
      /GPU-buffer tensor of type 'int64'.*expected: dataType float32 or int32/,
    );
    // the session still runs after refused feeds
    expect((await aCpu.run({ x: cpuX() })).y!.dims).toEqual([2, 16]);
    [good, small, noCopy].forEach((buf) => buf.destroy());
  });

  it('a GPU feed to a wasm artifact is refused, naming the input', SLOW, async () => {
    const wasm = await InferenceSession.create(await wasmArtifact(compileWasm(modelA())));
    const buffer = upload(x.data as Float32Array);
    await expect(
      wasm.run({ x: Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: [2, 16] }) }),
    ).rejects.toThrow(/input 'x' is a GPU buffer; the wasm target runs on the CPU/);
    buffer.destroy();
    await wasm.release();
  });

  it('outputs kept on the GPU are owned by the caller: dispose() frees them', SLOW, async () => {
    const y = (await a.run({ x: cpuX() })).y!;
    const buffer = y.gpuBuffer;
    expect(buffer.usage & BufferUsage.COPY_SRC).toBeTruthy();
    y.dispose();
    expect(() => y.data).toThrow(/was disposed/);
    // a destroyed buffer can no longer be fed: WebGPU rejects the run, clearly
    await expect(
      b.run({ y: Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: [2, 16] }) }),
    ).rejects.toThrow(/WebGPU rejected a run/);
  });

  it('preferredOutputLocation is checked at create', SLOW, async () => {
    const bytes = await artifactOf(modelA());
    await expect(
      InferenceSession.create(bytes, { device, preferredOutputLocation: { nope: 'gpu-buffer' } }),
    ).rejects.toThrow(/preferredOutputLocation names unknown output 'nope'.*expected: outputs named 'y'/);
    await expect(
      InferenceSession.create(bytes, { device, preferredOutputLocation: 'texture' as 'cpu' }),
    ).rejects.toThrow(/output location 'texture' is not supported/);
  });
});
