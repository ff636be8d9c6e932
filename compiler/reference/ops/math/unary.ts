/** Elementwise unary math: Abs, Neg, Sign, Reciprocal, Sqrt, Exp, Log, rounding, trigonometry, Erf, IsNaN, IsInf. */
import type { DType } from '../../../../runtime/dtype.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { requireInput } from '../common.js';
import { erf } from './erf.js';
import { FLOATS, NUMERIC, SIGNED_NUMERIC, checkDType, isBig, map1, type Scalar } from './util.js';

export interface UnaryKernels {
  /** Any type held as a JS number, computed in float64 (integer results are truncated by the store). */
  num: (x: number) => number | boolean;
  /** int64/uint64 held as bigint; when absent, `num` is applied to Number(x). */
  big?: (x: bigint) => bigint;
}

/**
 * A one-input elementwise op. `outType` gives the output dtype from the input's (the same type by
 * default); `make` may read and validate attributes before any element is computed.
 */
export function unaryOp(
  op: string,
  versions: [number, number],
  types: readonly DType[],
  make: (node: Node) => UnaryKernels,
  outType: (d: DType) => DType = (d) => d,
): OpDef {
  return {
    op,
    versions,
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'X');
      checkDType(node, x.dtype, types, 'X');
      const k = make(node);
      const big = k.big;
      const fn: (v: Scalar) => Scalar = isBig(x.dtype)
        ? big
          ? (v) => big(v as bigint)
          : (v) => k.num(Number(v))
        : (v) => k.num(v as number);
      return [map1(x, outType(x.dtype), fn)];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      if (!x) return [undefined];
      checkDType(ctx.node, x.dtype, types, 'X');
      make(ctx.node);
      return [{ dtype: outType(x.dtype), shape: x.shape ? [...x.shape] : undefined }];
    },
  };
}

/** Round half to even (numpy.round, C nearbyint), keeping the sign of zero. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  const r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

const float = (f: (x: number) => number) => () => ({ num: f });

/** Ops defined on floating-point types only. */
const floatOps: [string, [number, number], (x: number) => number][] = [
  ['Reciprocal', [1, 21], (x) => 1 / x],
  ['Sqrt', [1, 21], Math.sqrt],
  ['Exp', [1, 21], Math.exp],
  ['Log', [1, 21], Math.log],
  ['Floor', [1, 21], Math.floor],
  ['Ceil', [1, 21], Math.ceil],
  ['Round', [11, 21], roundHalfEven],
  ['Sin', [7, 21], Math.sin],
  ['Cos', [7, 21], Math.cos],
  ['Tan', [7, 21], Math.tan],
  ['Asin', [7, 21], Math.asin],
  ['Acos', [7, 21], Math.acos],
  ['Atan', [7, 21], Math.atan],
  ['Sinh', [9, 21], Math.sinh],
  ['Cosh', [9, 21], Math.cosh],
  ['Asinh', [9, 21], Math.asinh],
  ['Acosh', [9, 21], Math.acosh],
  ['Atanh', [9, 21], Math.atanh],
];

const toBool = (): DType => 'bool';

export const unaryOps: OpDef[] = [
  unaryOp('Abs', [1, 21], NUMERIC, () => ({ num: Math.abs, big: (x) => (x < 0n ? -x : x) })),
  unaryOp('Neg', [1, 21], SIGNED_NUMERIC, () => ({ num: (x) => -x, big: (x) => -x })),
  unaryOp('Sign', [9, 21], NUMERIC, () => ({
    num: Math.sign,
    big: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n),
  })),
  // Erf accepts every numeric type; integer results are erf truncated toward zero.
  unaryOp('Erf', [9, 21], NUMERIC, () => ({ num: erf })),
  ...floatOps.map(([op, versions, f]) => unaryOp(op, versions, FLOATS, float(f))),
  unaryOp('IsNaN', [9, 21], FLOATS, () => ({ num: Number.isNaN }), toBool),
  unaryOp(
    'IsInf',
    [10, 21],
    FLOATS,
    (node) => {
      const pos = attrInt(node, 'detect_positive', 1) !== 0;
      const neg = attrInt(node, 'detect_negative', 1) !== 0;
      return { num: (x) => (x === Infinity && pos) || (x === -Infinity && neg) };
    },
    toBool,
  ),
];
