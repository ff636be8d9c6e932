/**
 * Pow: base of type T, exponent of (since opset 12) any numeric type T1, output of type T.
 * Integer bases with integer exponents are exact (wrapping like C integer multiplication);
 * everything else goes through float64 pow and is stored into T (truncated for integer T, as
 * onnxruntime's static_cast of std::pow does).
 */
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import {
  FLOATS,
  NUMERIC,
  binaryInferShape,
  binaryOperands,
  checkDType,
  isBig,
  mapN,
  type Scalar,
} from './util.js';
import type { Node } from '../../../ir/graph.js';

const BASE_TYPES = ['int32', 'int64', 'float16', 'float32', 'float64', 'bfloat16'] as const;

/** x^y mod 2^64 by squaring, for y >= 0 (exact where plain ** could be astronomically large). */
function powBig(x: bigint, y: bigint): bigint {
  let r = 1n;
  let b = BigInt.asIntN(64, x);
  let e = y;
  while (e > 0n) {
    if (e & 1n) r = BigInt.asIntN(64, r * b);
    b = BigInt.asIntN(64, b * b);
    e >>= 1n;
  }
  return r;
}

/** x^y mod 2^32 for y >= 0, with Math.imul keeping the low 32 bits exact. */
function powInt32(x: number, y: number): number {
  let r = 1;
  let b = x | 0;
  let e = y;
  while (e > 0) {
    if (e % 2 === 1) r = Math.imul(r, b);
    b = Math.imul(b, b);
    e = Math.floor(e / 2);
  }
  return r;
}

/** Integer power with a negative exponent: 1/x^|y| truncated toward zero. */
function negativeIntPow(node: Node, x: number, y: number): number {
  if (x === 0) throw opError(node, 'zero raised to a negative integer power', 'a non-zero base');
  if (x === 1) return 1;
  if (x === -1) return Math.abs(y) % 2 === 1 ? -1 : 1;
  return 0;
}

export const powOps: OpDef[] = [
  {
    op: 'Pow',
    versions: [1, 21],
    run: (inputs, { node, opset }) => {
      const x0 = requireInput(node, inputs, 0, 'X');
      const y0 = requireInput(node, inputs, 1, 'Y');
      checkDType(node, x0.dtype, BASE_TYPES, 'X');
      checkDType(node, y0.dtype, NUMERIC, 'Y');
      const [x, y] = binaryOperands(node, opset, x0, y0);
      const intBase = !FLOATS.includes(x.dtype);
      const intExp = !FLOATS.includes(y.dtype);
      let fn: (a: Scalar, b: Scalar) => Scalar;
      if (intBase && intExp && isBig(x.dtype)) {
        fn = (a, b) => {
          const e = BigInt(b as number | bigint);
          return e >= 0n ? powBig(a as bigint, e) : BigInt(negativeIntPow(node, Number(a), Number(e)));
        };
      } else if (intBase && intExp) {
        fn = (a, b) => {
          const e = Number(b);
          if (e < 0) return negativeIntPow(node, a as number, e);
          // An int64 exponent beyond 2^53 needs exact bigint parity; the low 32 bits are the same.
          if (typeof b === 'bigint' && e > 2 ** 53) return Number(BigInt.asIntN(32, powBig(BigInt(a), b)));
          return powInt32(a as number, e);
        };
      } else {
        fn = (a, b) => Math.pow(Number(a), Number(b));
      }
      return [mapN(node, [x, y], x.dtype, fn)];
    },
    infer: (ctx) => {
      const [x, y] = ctx.inputs;
      if (!x) return [undefined];
      checkDType(ctx.node, x.dtype, BASE_TYPES, 'X');
      if (y) checkDType(ctx.node, y.dtype, NUMERIC, 'Y');
      return [{ dtype: x.dtype, shape: binaryInferShape(ctx, x, y) }];
    },
  },
];
