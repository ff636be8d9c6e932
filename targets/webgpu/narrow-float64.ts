import type { LoweredModel } from '../../compiler/kernel/lower/index.js';
import { type Narrowing, narrowKernel } from './narrow-kernel.js';
import { KilnError } from '../../runtime/errors.js';

/** The largest finite f32. */
export const F32_MAX = 3.4028234663852886e38;
/** Would `v` overflow to ±Infinity as an f32 (a finite value beyond f32's range)? */
export const overflowsF32 = (v: number): boolean => Number.isFinite(v) && !Number.isFinite(Math.fround(v));

/**
 * WGSL has no 64-bit floats (and `shader-f64` does not exist), so the webgpu target computes float64 as
 * float32: every f64 buffer (inputs, initializers, intermediates, outputs) becomes f32, every f64
 * constant and cast an f32 one. Values are rounded to the nearest f32 (about 7 significant digits
 * instead of 16); a finite value beyond f32's range is never turned into ±Infinity silently: graph
 * inputs are refused on upload (runtime/webgpu/instance.ts), initializers and constants here at compile
 * time. Outputs are read back as float64 tensors holding the f32 results.
 * Rewrites `lowered` in place (buffers by copy; expressions are rebuilt, never mutated).
 */
export function narrowFloat64(lowered: LoweredModel): void {
  const narrowed = new Set<string>();
  for (const [name, b] of lowered.buffers) {
    if (b.dtype !== 'f64') continue;
    narrowed.add(name);
    lowered.buffers.set(name, { ...b, dtype: 'f32', data: b.data && narrowWeight(name, b.data, b.size) });
  }
  lowered.kernels = lowered.kernels.map((k) => narrowKernel(k, narrowed, F64_AS_F32));
}

function narrowWeight(buffer: string, data: Float32Array | Uint8Array, size: number): Float32Array {
  const name = buffer.replace(/^w:/, '').replace(/#\d+$/, ''); // the graph value (context.ts names)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const v = view.getFloat64(i * 8, true);
    if (overflowsF32(v))
      throw new KilnError(`float64 initializer '${name}' holds ${v} at index ${i}, beyond float32's range`, {
        expected: `float64 initializers within ±${F32_MAX} on the webgpu target (it computes float64 as float32)`,
      });
    out[i] = v;
  }
  return out;
}

const F64_AS_F32: Narrowing = {
  from: 'f64',
  to: 'f32',
  fits: (v) => !overflowsF32(v),
  misfit: (v) => ({
    message: `uses the float64 constant ${v}, beyond float32's range`,
    expected: 'float64 constants within float32 range on the webgpu target (it computes float64 as float32)',
  }),
};
