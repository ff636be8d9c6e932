import type { ElemType, Expr, Kernel, Stmt } from '../../compiler/kernel/ir.js';
import type { LoweredModel } from '../../compiler/kernel/lower/index.js';

/** 8- and 16-bit integer element types: the IR computes them as i32 and stores them narrow. */
const SMALL = new Set<ElemType>(['i8', 'u8', 'i16', 'u16']);

/**
 * WGSL storage buffers have no 8- or 16-bit elements, and the arena is an array of 32-bit words, so
 * the webgpu target holds int8/uint8/int16/uint16 values as one i32 word each (the value itself, sign-
 * or zero-extended): every such buffer becomes i32, initializers are widened here, graph inputs on
 * upload and outputs narrowed on read-back (runtime/webgpu/instance.ts). Loads need nothing more (the
 * IR computes these types as i32 already); stores keep what a narrow store keeps (the low 8 or 16 bits,
 * as the wasm target's store8/store16), so results are exact, wrap-around included.
 * Rewrites `lowered` in place (buffers by copy; statements are rebuilt, never mutated).
 */
export function widenSmallInts(lowered: LoweredModel): void {
  const widened = new Map<string, ElemType>();
  for (const [name, b] of lowered.buffers) {
    if (!b.dtype || !SMALL.has(b.dtype)) continue;
    widened.set(name, b.dtype);
    lowered.buffers.set(name, { ...b, dtype: 'i32', data: b.data && widenWeight(b.data, b.size, b.dtype) });
  }
  if (!widened.size) return;
  lowered.kernels = lowered.kernels.map((k) => widenKernel(k, widened));
}

function widenWeight(data: Float32Array | Uint8Array, size: number, t: ElemType): Uint8Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read =
    t === 'i8'
      ? (i: number) => view.getInt8(i)
      : t === 'u8'
        ? (i: number) => view.getUint8(i)
        : t === 'i16'
          ? (i: number) => view.getInt16(i * 2, true)
          : (i: number) => view.getUint16(i * 2, true);
  const out = Int32Array.from({ length: size }, (_, i) => read(i));
  return new Uint8Array(out.buffer);
}

const c = (v: number): Expr => ({ k: 'const', v, t: 'i32' });

/** The value a narrow store of `t` keeps, as an i32: the low bits, zero- or sign-extended. */
function wrap(value: Expr, t: ElemType): Expr {
  const bits = t === 'i8' || t === 'u8' ? 8 : 16;
  const low: Expr = { k: 'bin', op: 'and', a: value, b: c(2 ** bits - 1) };
  if (t === 'u8' || t === 'u16') return low;
  // sign-extend: (low ^ sign bit) - sign bit
  const sign = c(2 ** (bits - 1));
  return { k: 'bin', op: 'sub', a: { k: 'bin', op: 'xor', a: low, b: sign }, b: sign };
}

function widenKernel(k: Kernel, widened: Map<string, ElemType>): Kernel {
  const buffers = k.buffers.map((b) => (widened.has(b.name) ? { ...b, dtype: 'i32' as const } : b));
  if (k.kind !== 'loops') return { ...k, buffers };
  const stmt = (s: Stmt): Stmt => {
    if (s.k === 'loop') return { ...s, body: s.body.map(stmt) };
    if (s.k !== 'store') return s;
    const t = widened.get(s.buf);
    return t ? { ...s, value: wrap(s.value, t) } : s;
  };
  return { ...k, buffers, body: k.body.map(stmt) };
}
