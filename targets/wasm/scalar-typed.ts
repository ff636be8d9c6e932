import binaryen from 'binaryen';
import {
  type Affine,
  type ElemType,
  type Expr,
  type ScalarType,
  computeType,
} from '../../compiler/kernel/ir.js';
import { type BufferTypes, exprType } from '../../compiler/kernel/types.js';
import { KilnError } from '../../runtime/errors.js';
import { callF64Math } from './f64-math.js';

type M = binaryen.Module;
type X = binaryen.ExpressionRef;
type Mem = [number, number, X];
const { i32, i64, f32, f64 } = binaryen;
const WASM_TYPE: Record<ScalarType, binaryen.Type> = { i32, i64, f32, f64 };

/**
 * Element types held at their own width (uint64 in i64 bits), so that their compute type's plain
 * load and store move them: no extension, conversion or wrapping.
 */
type FullWidth = 'f32' | 'f64' | 'i32' | 'i64' | 'u64';
const isFullWidth = (t: ElemType): t is FullWidth =>
  t === 'f32' || t === 'f64' || t === 'i32' || t === 'i64' || t === 'u64';

/**
 * Scalar WebAssembly for the kernel IR's non-f32 types: f64, i32, i64 arithmetic, conversions, and
 * loads/stores of the storage-only types (sign/zero-extending narrow loads, wrapping narrow stores).
 * The f32 SIMD path in render.ts never comes here.
 */
export class ScalarTyped {
  constructor(
    private readonly m: M,
    private readonly bufType: BufferTypes,
    private readonly newLocal: (t: ScalarType) => number,
    private readonly accType: (name: string) => ScalarType,
  ) {}

  typeOf(e: Expr): ScalarType {
    return exprType(e, this.bufType, this.accType);
  }

  /** A typed expression; `sub` renders operands (back through the f32 path when they are f32). */
  expr(e: Expr, sub: (e: Expr) => X, mem: (buf: string, at: Affine) => Mem): X {
    const m = this.m;
    const t = this.typeOf(e);
    switch (e.k) {
      case 'const':
        return this.constant(t, e.v);
      case 'load':
        return this.load(this.bufType(e.buf), mem(e.buf, e.at));
      case 'acc':
        throw new KilnError('internal error: typed accumulators are read in render.ts');
      case 'cast':
        return this.cast(sub(e.a), this.typeOf(e.a), e.to);
      case 'un':
        return this.unary(e.op, sub(e.a), t);
      case 'bin':
        return this.binary(e.op, sub(e.a), sub(e.b), t);
      case 'select':
        return m.select(this.compare(e, sub), sub(e.t), sub(e.f));
    }
  }

  constant(t: ScalarType, v: number): X {
    const m = this.m;
    switch (t) {
      case 'f32':
        return m.f32.const(v);
      case 'f64':
        return m.f64.const(v);
      case 'i32':
        // ±Infinity (e.g. a max reduction's start) means the type's extreme
        return m.i32.const(
          Number.isFinite(v)
            ? Number(BigInt.asIntN(32, BigInt(Math.trunc(v))))
            : v > 0
              ? 0x7fffffff
              : -0x80000000,
        );
      case 'i64': {
        // ±Infinity (e.g. a max reduction's start) means the type's extreme
        const b = Number.isFinite(v)
          ? BigInt.asIntN(64, BigInt(Math.trunc(v)))
          : v > 0
            ? 0x7fffffffffffffffn
            : -0x8000000000000000n;
        // this binaryen takes one (bigint) argument; its typings still declare (low, high)
        return (m.i64.const as unknown as (v: bigint) => X)(b);
      }
    }
  }

  load(t: ElemType, [off, align, ptr]: Mem): X {
    const m = this.m;
    if (isFullWidth(t)) return m[computeType(t)].load(off, align, ptr);
    switch (t) {
      case 'i8':
        return m.i32.load8_s(off, align, ptr);
      case 'u8':
        return m.i32.load8_u(off, align, ptr);
      case 'i16':
        return m.i32.load16_s(off, align, ptr);
      case 'u16':
        return m.i32.load16_u(off, align, ptr);
      case 'u32':
        return m.i64.load32_u(off, align, ptr);
      case 'bf16':
        return m.f32.reinterpret(m.i32.shl(m.i32.load16_u(off, align, ptr), m.i32.const(16)));
      case 'f16':
        return this.f16ToF32(m.i32.load16_u(off, align, ptr));
    }
  }

  /**
   * float16 bits (an i32) as the f32 of the same value: the exponent and mantissa moved into place
   * and scaled by 2^112 (exact, subnormals included); Inf/NaN get the f32 all-ones exponent.
   */
  private f16ToF32(h: X): X {
    const m = this.m;
    const hl = this.newLocal('i32');
    const get = () => m.local.get(hl, i32);
    const moved = () => m.i32.shl(m.i32.and(get(), m.i32.const(0x7fff)), m.i32.const(13));
    const sign = m.i32.shl(m.i32.and(get(), m.i32.const(0x8000)), m.i32.const(16));
    const magnitude = m.select(
      m.i32.eq(m.i32.and(get(), m.i32.const(0x7c00)), m.i32.const(0x7c00)),
      m.i32.or(moved(), m.i32.const(0x7f800000)),
      m.i32.reinterpret(m.f32.mul(m.f32.reinterpret(moved()), m.f32.const(2 ** 112))),
    );
    return m.block(null, [m.local.set(hl, h), m.f32.reinterpret(m.i32.or(magnitude, sign))], f32);
  }

  /**
   * An f32 as float16 bits (an i32), rounded to nearest even as onnxruntime does: overflow to Inf,
   * NaN to a quiet NaN, results below float16's normal range through a float add that rounds them
   * at the subnormal spacing (F. Giesen's float_to_half_fast3_rtne).
   */
  private f32ToF16(v: X): X {
    const m = this.m;
    const fl = this.newLocal('i32');
    const abs = () => m.local.get(fl, i32);
    const bits = this.newLocal('i32');
    const c = (x: number) => m.i32.const(x | 0);
    const special = m.select(m.i32.gt_u(abs(), c(0x7f800000)), c(0x7e00), c(0x7c00));
    const small = m.i32.sub(
      m.i32.reinterpret(m.f32.add(m.f32.reinterpret(abs()), m.f32.reinterpret(c(0x3f000000)))),
      c(0x3f000000),
    );
    const odd = m.i32.and(m.i32.shr_u(abs(), c(13)), c(1));
    const normal = m.i32.shr_u(m.i32.add(m.i32.add(abs(), c(0xc8000fff)), odd), c(13));
    const magnitude = m.select(
      m.i32.ge_u(abs(), c(0x47800000)),
      special,
      m.select(m.i32.lt_u(abs(), c(0x38800000)), small, normal),
    );
    return m.block(
      null,
      [
        m.local.set(bits, m.i32.reinterpret(v)),
        m.local.set(fl, m.i32.and(m.local.get(bits, i32), c(0x7fffffff))),
        m.i32.or(magnitude, m.i32.shr_u(m.i32.and(m.local.get(bits, i32), c(0x80000000)), c(16))),
      ],
      i32,
    );
  }

  store(t: ElemType, [off, align, ptr]: Mem, v: X): X {
    const m = this.m;
    if (isFullWidth(t)) return m[computeType(t)].store(off, align, ptr, v);
    switch (t) {
      case 'i8':
      case 'u8':
        return m.i32.store8(off, align, ptr, v);
      case 'i16':
      case 'u16':
        return m.i32.store16(off, align, ptr, v);
      case 'u32':
        return m.i64.store32(off, align, ptr, v);
      case 'bf16': {
        // round to nearest even on the upper 16 bits; NaN stays a quiet NaN
        const bits = this.newLocal('i32');
        const get = () => m.local.get(bits, i32);
        const rounded = m.i32.shr_u(
          m.i32.add(
            m.i32.add(get(), m.i32.const(0x7fff)),
            m.i32.and(m.i32.shr_u(get(), m.i32.const(16)), m.i32.const(1)),
          ),
          m.i32.const(16),
        );
        const tmp = this.newLocal('f32');
        return m.block(null, [
          m.local.set(tmp, v),
          m.local.set(bits, m.i32.reinterpret(m.local.get(tmp, f32))),
          m.i32.store16(
            off,
            align,
            ptr,
            m.select(
              m.f32.ne(m.local.get(tmp, f32), m.local.get(tmp, f32)),
              m.i32.or(m.i32.shr_u(get(), m.i32.const(16)), m.i32.const(0x40)),
              rounded,
            ),
          ),
        ]);
      }
      case 'f16':
        return m.i32.store16(off, align, ptr, this.f32ToF16(v));
    }
  }

  /** The condition of a select, compared in its operands' type (signed for integers). */
  compare(e: Extract<Expr, { k: 'select' }>, sub: (e: Expr) => X): X {
    const m = this.m;
    const t = this.typeOf(e.a);
    const a = sub(e.a);
    const b = sub(e.b);
    if (t === 'i32')
      return { lt: m.i32.lt_s, le: m.i32.le_s, gt: m.i32.gt_s, ge: m.i32.ge_s, eq: m.i32.eq }[e.cmp](a, b);
    if (t === 'i64')
      return { lt: m.i64.lt_s, le: m.i64.le_s, gt: m.i64.gt_s, ge: m.i64.ge_s, eq: m.i64.eq }[e.cmp](a, b);
    const ops = t === 'f64' ? m.f64 : m.f32;
    return { lt: ops.lt, le: ops.le, gt: ops.gt, ge: ops.ge, eq: ops.eq }[e.cmp](a, b);
  }

  /** Float → int truncates toward zero, saturating (NaN → 0); the reference wraps out-of-range values. */
  cast(a: X, from: ScalarType, to: ScalarType): X {
    const m = this.m;
    if (from === to) return a;
    switch (`${from}>${to}`) {
      case 'f32>f64':
        return m.f64.promote(a);
      case 'f64>f32':
        return m.f32.demote(a);
      case 'i32>i64':
        return m.i64.extend_s(a);
      case 'i64>i32':
        return m.i32.wrap(a);
      case 'i32>f32':
        return m.f32.convert_s.i32(a);
      case 'i32>f64':
        return m.f64.convert_s.i32(a);
      case 'i64>f32':
        return m.f32.convert_s.i64(a);
      case 'i64>f64':
        return m.f64.convert_s.i64(a);
      case 'f32>i32':
        return m.i32.trunc_s_sat.f32(a);
      case 'f64>i32':
        return m.i32.trunc_s_sat.f64(a);
      case 'f32>i64':
        return m.i64.trunc_s_sat.f32(a);
      case 'f64>i64':
        return m.i64.trunc_s_sat.f64(a);
    }
    throw new KilnError(`internal error: cast ${from} → ${to}`);
  }

  private unary(op: string, a: X, t: ScalarType): X {
    const m = this.m;
    if (t === 'f64') {
      const f = {
        neg: m.f64.neg,
        abs: m.f64.abs,
        sqrt: m.f64.sqrt,
        floor: m.f64.floor,
        ceil: m.f64.ceil,
        round: m.f64.nearest,
      }[op as 'neg'];
      if (f) return f(a);
      if (op === 'recip') return m.f64.div(m.f64.const(1), a);
      if (op === 'exp' || op === 'log') return callF64Math(m, op, a);
      throw new KilnError(`${op} on float64 is not rendered by the wasm target`);
    }
    if (t === 'f32') throw new KilnError(`internal error: ${op} on f32 in the typed path`);
    const ops = t === 'i32' ? m.i32 : m.i64;
    const zero = this.constant(t, 0);
    switch (op) {
      case 'neg':
        return ops.sub(zero, a);
      case 'not':
        return ops.xor(a, this.constant(t, -1));
      case 'abs': {
        // select evaluates both arms before the condition: set the local first
        const l = this.newLocal(t);
        const get = () => m.local.get(l, WASM_TYPE[t]);
        return m.block(
          null,
          [m.local.set(l, a), m.select(ops.lt_s(get(), this.constant(t, 0)), ops.sub(zero, get()), get())],
          WASM_TYPE[t],
        );
      }
      default:
        throw new KilnError(`${op} on integers is not rendered by the wasm target`);
    }
  }

  private binary(op: string, a: X, b: X, t: ScalarType): X {
    const m = this.m;
    if (t === 'f64') {
      const f = {
        add: m.f64.add,
        sub: m.f64.sub,
        mul: m.f64.mul,
        div: m.f64.div,
        max: m.f64.max,
        min: m.f64.min,
      }[op as 'add'];
      if (!f) throw new KilnError(`internal error: ${op} on f64`);
      return f(a, b);
    }
    if (t === 'f32') throw new KilnError(`internal error: ${op} on f32 in the typed path`);
    const ops = t === 'i32' ? m.i32 : m.i64;
    const simple = {
      add: ops.add,
      sub: ops.sub,
      mul: ops.mul,
      div: ops.div_s,
      rem: ops.rem_s,
      rem_u: ops.rem_u,
      and: ops.and,
      or: ops.or,
      xor: ops.xor,
      shl: ops.shl,
      shr_u: ops.shr_u,
    }[op as 'add'];
    if (simple) return simple(a, b);
    if (op !== 'max' && op !== 'min') throw new KilnError(`internal error: ${op} on ${t}`);
    const la = this.newLocal(t);
    const lb = this.newLocal(t);
    const w = WASM_TYPE[t];
    // select evaluates both arms before the condition: set the locals first
    const get = (l: number) => m.local.get(l, w);
    return m.block(
      null,
      [
        m.local.set(la, a),
        m.local.set(lb, b),
        m.select(ops.gt_s(get(la), get(lb)), get(op === 'max' ? la : lb), get(op === 'max' ? lb : la)),
      ],
      w,
    );
  }
}
