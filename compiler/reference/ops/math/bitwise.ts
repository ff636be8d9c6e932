/** Bit operations on integer tensors: BitShift, BitwiseAnd/Or/Xor/Not. */
import { attrString } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { broadcastDims, opError, requireInput, sameAsInput } from '../common.js';
import { INTS, UNSIGNED_INTS, checkDType, checkSameDType, inferDTypes, isBig, map1, mapN } from './util.js';

const BITS: Record<string, number> = { uint8: 8, uint16: 16, uint32: 32, uint64: 64 };

function shiftDirection(node: Node): 'LEFT' | 'RIGHT' {
  const d = attrString(node, 'direction');
  if (d !== 'LEFT' && d !== 'RIGHT') throw opError(node, `direction '${d}'`, "'LEFT' or 'RIGHT'");
  return d;
}

/**
 * Shifts of unsigned integers. A shift by the bit width or more leaves no bits (0), as numpy does,
 * rather than the undefined behaviour of C or JS's modulo-32 shift count.
 */
const bitShift: OpDef = {
  op: 'BitShift',
  versions: [11, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const y = requireInput(node, inputs, 1, 'Y');
    checkDType(node, x.dtype, UNSIGNED_INTS, 'X');
    checkSameDType(node, [x.dtype, y.dtype], 'X and Y');
    const left = shiftDirection(node) === 'LEFT';
    const bits = BITS[x.dtype]!;
    if (isBig(x.dtype)) {
      return [
        mapN(node, [x, y], x.dtype, (a, b) => {
          const s = b as bigint;
          if (s >= 64n) return 0n;
          return left ? BigInt.asUintN(64, (a as bigint) << s) : (a as bigint) >> s;
        }),
      ];
    }
    return [
      mapN(node, [x, y], x.dtype, (a, b) => {
        const s = b as number;
        if (s >= bits) return 0;
        // s < 32 here, so JS shifts are exact; the typed-array store keeps the low `bits` bits.
        return left ? (a as number) << s : (a as number) >>> s;
      }),
    ];
  },
  infer: (ctx) => {
    const dtype = inferDTypes(ctx.node, ctx.inputs.slice(0, 2), UNSIGNED_INTS);
    shiftDirection(ctx.node);
    return [dtype && { dtype, shape: broadcastDims(ctx, ctx.inputs[0]?.shape, ctx.inputs[1]?.shape) }];
  },
};

/** JS bitwise operators on int32-converted numbers keep the low 32 bits, all the narrower types need. */
function bitwiseBinary(
  op: string,
  f: (a: number, b: number) => number,
  fb: (a: bigint, b: bigint) => bigint,
) {
  const def: OpDef = {
    op,
    versions: [18, 21],
    run: (inputs, { node }) => {
      const a = requireInput(node, inputs, 0, 'A');
      const b = requireInput(node, inputs, 1, 'B');
      checkDType(node, a.dtype, INTS, 'A');
      checkSameDType(node, [a.dtype, b.dtype], 'A and B');
      const fn = isBig(a.dtype)
        ? (x: unknown, y: unknown) => fb(x as bigint, y as bigint)
        : (x: unknown, y: unknown) => f(x as number, y as number);
      return [mapN(node, [a, b], a.dtype, fn)];
    },
    infer: (ctx) => {
      const dtype = inferDTypes(ctx.node, ctx.inputs.slice(0, 2), INTS);
      return [dtype && { dtype, shape: broadcastDims(ctx, ctx.inputs[0]?.shape, ctx.inputs[1]?.shape) }];
    },
  };
  return def;
}

const bitwiseNot: OpDef = {
  op: 'BitwiseNot',
  versions: [18, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'X');
    checkDType(node, x.dtype, INTS, 'X');
    // ~ on a bigint is two's complement; the unsigned stores wrap it back into range.
    return [map1(x, x.dtype, (v) => (typeof v === 'bigint' ? ~v : ~(v as number)))];
  },
  infer: (ctx) => {
    if (ctx.inputs[0]) checkDType(ctx.node, ctx.inputs[0].dtype, INTS, 'X');
    return sameAsInput(0)(ctx);
  },
};

export const bitwiseOps: OpDef[] = [
  bitShift,
  bitwiseBinary(
    'BitwiseAnd',
    (a, b) => a & b,
    (a, b) => a & b,
  ),
  bitwiseBinary(
    'BitwiseOr',
    (a, b) => a | b,
    (a, b) => a | b,
  ),
  bitwiseBinary(
    'BitwiseXor',
    (a, b) => a ^ b,
    (a, b) => a ^ b,
  ),
  bitwiseNot,
];
