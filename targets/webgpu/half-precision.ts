import type { Kernel } from '../../compiler/kernel/ir.js';
import type { LoweredModel } from '../../compiler/kernel/lower/index.js';
import { float32ToFloat16Bits } from '../../runtime/half.js';
import { F16_MAX } from './wgsl.js';

/**
 * `--precision fp16`: every f32 activation and weight is stored as f16 (half the memory and
 * bandwidth); the renderer then computes elementwise math in f16 and accumulates in f32 (wgsl.ts
 * floatWidth, gemm.ts). Graph inputs and outputs stay float32 buffers (the model's declared dtype):
 * the kernels that read an input convert it as they load it, the kernels that write an output convert
 * as they store, on the GPU. A weight holding a finite value beyond f16's range (±65504) stays f32
 * rather than turning into ±Infinity. Rewrites `lowered` in place (buffers by copy).
 */
export function halveFloats(lowered: LoweredModel): void {
  const halved = new Set<string>();
  for (const [name, b] of lowered.buffers) {
    if ((b.dtype ?? 'f32') !== 'f32' || (b.role !== 'temp' && b.role !== 'weight')) continue;
    let data: Uint8Array | undefined;
    if (b.data) {
      if (!(b.data instanceof Float32Array)) continue;
      const values = b.data;
      if (values.some((v) => Number.isFinite(v) && Math.abs(v) > F16_MAX)) continue;
      data = halfBytes(values, b.size);
    }
    halved.add(name);
    lowered.buffers.set(name, { ...b, dtype: 'f16', ...(data ? { data } : {}) });
  }
  lowered.kernels = lowered.kernels.map((k): Kernel => ({
    ...k,
    buffers: k.buffers.map((b) => (halved.has(b.name) ? { ...b, dtype: 'f16' as const } : b)),
  }));
}

/** f32 values as little-endian f16 bits (round to nearest even). */
export function halfBytes(values: ArrayLike<number>, size = values.length): Uint8Array {
  const out = new Uint16Array(size);
  for (let i = 0; i < size; i++) out[i] = float32ToFloat16Bits(values[i]!);
  return new Uint8Array(out.buffer);
}
