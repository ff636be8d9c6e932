/**
 * WebGPU's numeric flags. Browsers define GPUBufferUsage and friends as globals; Dawn in Node does
 * not unless its globals are installed, so the runtime uses the spec's values directly.
 */
export const BufferUsage = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  STORAGE: 0x80,
} as const;
export const MapMode = { READ: 0x1 } as const;
export const ShaderStage = { COMPUTE: 0x4 } as const;
