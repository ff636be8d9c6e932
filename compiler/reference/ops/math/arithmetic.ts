/** Binary arithmetic with broadcasting: Add, Sub, Mul, Div, Mod. (Pow lives in pow.ts.) */
import type { DType } from '../../../../runtime/dtype.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError } from '../common.js';
import {
  FLOATS,
  NUMERIC,
  binaryInferShape,
  inferDTypes,
  isBig,
  mapN,
  sameTypeOperands,
  type Scalar,
} from './util.js';

interface Kernels {
  /** Floating-point types, computed in float64. */
  float: (a: number, b: number) => number;
  /** int8..int32, uint8..uint32: the result is wrapped to the type by the typed-array store. */
  int: (a: number, b: number) => number;
  /** int64/uint64: wrapped to 64 bits by the BigInt64Array/BigUint64Array store. */
  big: (a: bigint, b: bigint) => bigint;
}

/**
 * An op over two same-typed numeric tensors. Opset 1-6 forms (the `broadcast`/`axis` attributes) and
 * opset 7+ numpy broadcasting are both followed, selected by the model's opset. `make` validates the
 * attributes against the element type and returns the kernels.
 */
function binaryArithmetic(
  op: string,
  versions: [number, number],
  make: (node: Node, dtype: DType) => Kernels,
): OpDef {
  return {
    op,
    versions,
    run: (inputs, { node, opset }) => {
      const [a, b] = sameTypeOperands(node, inputs, opset, NUMERIC);
      const k = make(node, a.dtype);
      const fn: (x: Scalar, y: Scalar) => Scalar = isBig(a.dtype)
        ? (x, y) => k.big(x as bigint, y as bigint)
        : FLOATS.includes(a.dtype)
          ? (x, y) => k.float(x as number, y as number)
          : (x, y) => k.int(x as number, y as number);
      return [mapN(node, [a, b], a.dtype, fn)];
    },
    infer: (ctx) => {
      const [a, b] = ctx.inputs;
      const dtype = inferDTypes(ctx.node, [a, b], NUMERIC);
      if (dtype === undefined) return [undefined];
      make(ctx.node, dtype);
      return [{ dtype, shape: binaryInferShape(ctx, a, b) }];
    },
  };
}

/** 32-bit products can exceed 2^53; Math.imul gives the exact low 32 bits that the store keeps. */
const intMul = (a: number, b: number) =>
  Math.abs(a) < 2 ** 26 && Math.abs(b) < 2 ** 26 ? a * b : Math.imul(a, b);

function divByZero(node: Node): never {
  throw opError(node, 'integer division by zero', 'non-zero divisors for integer inputs');
}

export const arithmeticOps: OpDef[] = [
  binaryArithmetic('Add', [1, 21], () => ({
    float: (a, b) => a + b,
    int: (a, b) => a + b,
    big: (a, b) => a + b,
  })),
  binaryArithmetic('Sub', [1, 21], () => ({
    float: (a, b) => a - b,
    int: (a, b) => a - b,
    big: (a, b) => a - b,
  })),
  binaryArithmetic('Mul', [1, 21], () => ({
    float: (a, b) => a * b,
    int: intMul,
    big: (a, b) => a * b,
  })),
  // Integer division truncates toward zero, as in C.
  binaryArithmetic('Div', [1, 21], (node) => ({
    float: (a, b) => a / b,
    int: (a, b) => (b === 0 ? divByZero(node) : Math.trunc(a / b)),
    big: (a, b) => (b === 0n ? divByZero(node) : a / b),
  })),
  // fmod=1: C fmod (the result has the dividend's sign, like JS %); fmod=0: integer mod with the
  // divisor's sign (Python %), defined for integers only.
  binaryArithmetic('Mod', [10, 21], (node, dtype) => {
    const fmod = attrInt(node, 'fmod', 0);
    if (fmod !== 0 && fmod !== 1) throw opError(node, `fmod=${fmod}`, '0 or 1');
    if (fmod === 0 && FLOATS.includes(dtype)) {
      throw opError(node, `Mod of ${dtype} needs fmod=1`, 'fmod=1 for floating-point inputs');
    }
    return {
      float: (a, b) => a % b,
      int: (a, b) => {
        if (b === 0) divByZero(node);
        const r = a % b;
        return fmod || r === 0 || r < 0 === b < 0 ? r : r + b;
      },
      big: (a, b) => {
        if (b === 0n) divByZero(node);
        const r = a % b;
        return fmod || r === 0n || r < 0n === b < 0n ? r : r + b;
      },
    };
  }),
];
