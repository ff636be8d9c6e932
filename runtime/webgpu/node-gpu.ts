import { create } from 'webgpu';

/**
 * Dawn's WebGPU for Node (the `webgpu` npm package). The object `create()` returns must outlive
 * every adapter and device made from it: if it is garbage-collected during an await, Dawn crashes.
 * So it is created once and held by this module for the life of the process.
 */
let nodeGpu: GPU | undefined;

export function nodeWebGpu(): GPU {
  nodeGpu ??= create([]);
  return nodeGpu;
}

/** Whether Dawn finds an adapter here (a GPU, or lavapipe from Mesa ≥ 25 on machines without one). */
export async function hasWebGpuAdapter(): Promise<boolean> {
  try {
    return (await nodeWebGpu().requestAdapter()) !== null;
  } catch {
    return false;
  }
}
