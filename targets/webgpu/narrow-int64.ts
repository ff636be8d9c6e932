import type { Affine, Expr, Stmt } from '../../compiler/kernel/ir.js';
import type { LoweredModel } from '../../compiler/kernel/lower/index.js';
import { type Narrowing, narrowKernel } from './narrow-kernel.js';
import { KilnError } from '../../runtime/errors.js';

export const I32_MIN = -2147483648;
export const I32_MAX = 2147483647;
export const inI32 = (v: number | bigint): boolean => v >= I32_MIN && v <= I32_MAX;

/**
 * WGSL has no 64-bit integers, so the webgpu target computes int64 as int32: every i64 buffer that is
 * not a graph output (inputs, initializers, intermediates) becomes i32, every i64 constant and cast an
 * i32 one. Graph inputs are narrowed on upload with a range check (runtime/webgpu/instance.ts), i64
 * initializers and constants here at compile time (a value outside int32 is a compile error naming it),
 * so nothing is wrapped silently on the way in; arithmetic that leaves int32 wraps as i32 does.
 * i64 outputs stay two words: each store is the sign-extended i32 value (or, for a cast of an f32
 * stored directly, the exact int64 the cast gives), and a later read takes the low word (wgsl.ts).
 * Rewrites `lowered` in place (buffers by copy; expressions are rebuilt, never mutated).
 */
export function narrowInt64(lowered: LoweredModel): void {
  const outputs = new Set(lowered.outputs.map((o) => o.buffer));
  const wide = new Set([...outputs].filter((name) => lowered.buffers.get(name)?.dtype === 'i64'));
  const narrowed = new Set<string>();
  for (const [name, b] of lowered.buffers) {
    if (b.dtype !== 'i64' || outputs.has(name)) continue;
    narrowed.add(name);
    lowered.buffers.set(name, { ...b, dtype: 'i32', data: b.data && narrowWeight(name, b.data, b.size) });
  }
  for (const io of lowered.inputs)
    if (io.dtype === 'int64' && outputs.has(io.buffer))
      throw new KilnError(`int64 input '${io.name}' is also returned as an output unchanged`, {
        expected: 'on the webgpu target, int64 inputs that a kernel reads (int64 is computed as int32)',
      });
  lowered.kernels = lowered.kernels.map((k) => narrowKernel(k, narrowed, I64_AS_I32, storeWide(wide)));
}

/** An i64 initializer's bytes as i32 ones (the layout compile.ts uploads). */
function narrowWeight(buffer: string, data: Float32Array | Uint8Array, size: number): Uint8Array {
  const name = buffer.replace(/^w:/, '').replace(/#\d+$/, ''); // the graph value (context.ts names)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const v = view.getBigInt64(i * 8, true);
    if (!inI32(v))
      throw new KilnError(`int64 initializer '${name}' holds ${v} at index ${i}, outside int32`, {
        expected: 'int64 initializers within int32 on the webgpu target (it computes int64 as int32)',
      });
    out[i] = Number(v);
  }
  return new Uint8Array(out.buffer);
}

const I64_AS_I32: Narrowing = {
  from: 'i64',
  to: 'i32',
  // ±Infinity stands for the type's extreme (wgsl.ts i32), which is i32's once int64 is i32
  fits: (v) => !Number.isFinite(v) || inI32(v),
  misfit: (v) => ({
    message: `uses the int64 constant ${v}, outside int32`,
    expected: 'int64 constants within int32 on the webgpu target (it computes int64 as int32)',
  }),
};

/**
 * An i64 output keeps its two words: a cast to i64 stays (exact from f32), anything else is the
 * narrowed value sign-extended.
 */
function storeWide(wide: Set<string>) {
  return (s: Extract<Stmt, { k: 'store' }>, e: (x: Expr) => Expr, at: (a: Affine) => Affine) => {
    if (!wide.has(s.buf)) return undefined;
    const inner = s.value.k === 'cast' && s.value.to === 'i64' ? s.value.a : s.value;
    return { ...s, at: at(s.at), value: { k: 'cast', to: 'i64', a: e(inner) } } satisfies Stmt;
  };
}
