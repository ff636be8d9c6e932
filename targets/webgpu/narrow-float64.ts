import type { Expr, Kernel, Stmt } from '../../compiler/kernel/ir.js';
import type { LoweredModel } from '../../compiler/kernel/lower/index.js';
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
  lowered.kernels = lowered.kernels.map((k) => narrowKernel(k, narrowed));
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

function narrowKernel(k: Kernel, narrowed: Set<string>): Kernel {
  const buffers = k.buffers.map((b) => (narrowed.has(b.name) ? { ...b, dtype: 'f32' as const } : b));
  if (k.kind !== 'loops') return { ...k, buffers };
  const fail = (v: number) =>
    new KilnError(`${k.name} uses the float64 constant ${v}, beyond float32's range`, {
      node: k.nodes[0],
      op: k.name,
      expected:
        'float64 constants within float32 range on the webgpu target (it computes float64 as float32)',
    });
  const e = (x: Expr): Expr => narrowExpr(x, fail);
  const stmt = (s: Stmt): Stmt => {
    switch (s.k) {
      case 'loop':
        return { ...s, body: s.body.map(stmt) };
      case 'set':
        return { ...s, value: e(s.value) };
      case 'store':
        return {
          ...s,
          at: s.at.dyn?.length ? { ...s.at, dyn: s.at.dyn.map((d) => ({ ...d, e: e(d.e) })) } : s.at,
          value: e(s.value),
        };
    }
  };
  return { ...k, buffers, body: k.body.map(stmt) };
}

function narrowExpr(x: Expr, fail: (v: number) => KilnError): Expr {
  const r = (y: Expr) => narrowExpr(y, fail);
  switch (x.k) {
    case 'const':
      if (x.t !== 'f64') return x;
      if (overflowsF32(x.v)) throw fail(x.v);
      return { ...x, t: 'f32' };
    case 'cast':
      return { k: 'cast', to: x.to === 'f64' ? 'f32' : x.to, a: r(x.a) };
    case 'load':
      return x.at.dyn?.length
        ? { ...x, at: { ...x.at, dyn: x.at.dyn.map((d) => ({ ...d, e: r(d.e) })) } }
        : x;
    case 'acc':
      return x;
    case 'un':
      return { ...x, a: r(x.a) };
    case 'bin':
      return { ...x, a: r(x.a), b: r(x.b) };
    case 'select':
      return { ...x, a: r(x.a), b: r(x.b), t: r(x.t), f: r(x.f) };
  }
}
