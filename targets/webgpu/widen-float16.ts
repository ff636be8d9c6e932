import type { LoweredModel } from '../../compiler/kernel/lower/index.js';
import { float16BitsToFloat32 } from '../../runtime/half.js';

/**
 * The webgpu target holds float16 values as one f32 word each (the value itself, which f32 holds
 * exactly): shader-f16 is optional in WebGPU (lavapipe lacks it) and the arena is an array of 32-bit
 * words. Every f16 buffer becomes f32 here, initializers are widened, graph inputs and outputs need
 * nothing (Kiln's float16 tensors hold their values as float32); the names returned are the buffers
 * whose stores the renderer rounds to float16 (wgsl.ts, kiln_f16), so results match a float16 store.
 * Rewrites `lowered` in place (buffers by copy).
 */
export function widenFloat16(lowered: LoweredModel): Set<string> {
  const widened = new Set<string>();
  for (const [name, b] of lowered.buffers) {
    if (b.dtype !== 'f16') continue;
    widened.add(name);
    const data =
      b.data &&
      Float32Array.from(new Uint16Array(b.data.buffer, b.data.byteOffset, b.size), float16BitsToFloat32);
    lowered.buffers.set(name, { ...b, dtype: 'f32', ...(data ? { data } : {}) });
  }
  if (widened.size)
    lowered.kernels = lowered.kernels.map((k) => ({
      ...k,
      buffers: k.buffers.map((b) => (widened.has(b.name) ? { ...b, dtype: 'f32' as const } : b)),
    }));
  return widened;
}
