/**
 * Dawn's WebGPU for Node (the `webgpu` npm package), loaded on first use so that importing Kiln never
 * loads the native module. The object `create()` returns must outlive every adapter and device made
 * from it: if it is garbage-collected during an await, Dawn crashes. So it is created once and held by
 * this module for the life of the process.
 */
let nodeGpu: GPU | undefined;

export async function nodeWebGpu(): Promise<GPU> {
  if (!nodeGpu) {
    const { create } = await import('webgpu');
    nodeGpu ??= create([]);
  }
  return nodeGpu;
}

/** Whether Dawn finds an adapter here (a GPU, or lavapipe from Mesa ≥ 25 on machines without one). */
export async function hasWebGpuAdapter(): Promise<boolean> {
  try {
    return (await (await nodeWebGpu()).requestAdapter()) !== null;
  } catch {
    return false;
  }
}
