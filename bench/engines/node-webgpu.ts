import { nodeWebGpu } from '../../runtime/webgpu/node-gpu.js';

let installed: Promise<GPU> | undefined;

/**
 * What onnxruntime-web's WebGPU EP needs to run in Node on Dawn (a benchmark adapter; the runtime
 * never does this):
 * - `navigator.gpu`: Node 20 has no navigator; the EP looks for WebGPU there. It is Kiln's Dawn
 *   object (runtime/webgpu/node-gpu.ts), so both engines share one `create()` for the process.
 * - `GPUQueue.writeBuffer` copying SharedArrayBuffer-backed data first: the EP's WebAssembly memory is
 *   shared (its build is threaded even with numThreads 1) and Dawn refuses views of a
 *   SharedArrayBuffer ("Invalid argument"). Copying is what a browser does internally anyway.
 */
export function installNodeWebGpuGlobals(): Promise<GPU> {
  installed ??= (async () => {
    const gpu = await nodeWebGpu();
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (!nav) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    else if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter (Dawn found none)');
    const device = await adapter.requestDevice();
    const queue = Object.getPrototypeOf(device.queue) as GPUQueue;
    const write = queue.writeBuffer;
    queue.writeBuffer = function (this: GPUQueue, buffer, offset, data, dataOffset?, size?) {
      const copy =
        data instanceof SharedArrayBuffer
          ? data.slice(0)
          : ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer
            ? (data as Uint8Array).slice()
            : data;
      return write.call(this, buffer, offset, copy as GPUAllowSharedBufferSource, dataOffset, size);
    } as GPUQueue['writeBuffer'];
    device.destroy();
    return gpu;
  })();
  return installed;
}

/** The Dawn adapter in words, for reports ("nvidia hopper, NVIDIA H100 80GB HBM3"; "mesa llvmpipe, …"). */
export async function adapterDescription(): Promise<string> {
  const adapter = await (await nodeWebGpu()).requestAdapter();
  if (!adapter) return 'none';
  const { vendor, architecture, description, device } = adapter.info;
  return [vendor, architecture, description || device].filter((s) => s).join(', ');
}
