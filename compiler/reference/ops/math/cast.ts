/**
 * Cast and CastLike between all numeric types, bool and string. Float → integer truncates toward
 * zero (out-of-range values, undefined in the spec, wrap modulo 2^bits and NaN/±Inf give 0);
 * float → bool is x != 0 (so NaN is true); half types are rounded once, to nearest even.
 */
import { type DType, dtypeFromOnnx, isBigIntDType } from '../../../../runtime/dtype.js';
import { Tensor } from '../../../../runtime/tensor.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput, sameAsInput } from '../common.js';
import { NUMERIC, map1, type Scalar } from './util.js';
import { parseNumber, formatNumber } from './castString.js';

/** Types Cast computes on; float8 and 4-bit types have no storage in Kiln yet. */
const CASTABLE: readonly DType[] = [...NUMERIC, 'bool', 'string'];

/** TensorProto.DataType names, used by the string-valued `to` of Cast-1. */
const ONNX_NAMES: Record<string, DType> = {
  FLOAT: 'float32',
  UINT8: 'uint8',
  INT8: 'int8',
  UINT16: 'uint16',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  STRING: 'string',
  BOOL: 'bool',
  FLOAT16: 'float16',
  DOUBLE: 'float64',
  UINT32: 'uint32',
  UINT64: 'uint64',
  BFLOAT16: 'bfloat16',
};

function targetType(node: Node): DType {
  const a = node.attrs['to'];
  let d: DType | undefined;
  if (a?.type === 'int') d = dtypeFromOnnx(a.value);
  else if (a?.type === 'string') d = ONNX_NAMES[a.value.toUpperCase()];
  else throw opError(node, "missing or non-int attribute 'to'", 'a TensorProto.DataType code');
  if (d === undefined) throw opError(node, `unknown target type ${a.value}`, 'a TensorProto.DataType code');
  return d;
}

function checkCastable(node: Node, d: DType, what: string): void {
  if (!CASTABLE.includes(d)) {
    throw opError(node, `Cast ${what} type ${d} is not supported`, CASTABLE.join(', '));
  }
}

const BITS: Partial<Record<DType, number>> = {
  int8: 8,
  int16: 16,
  int32: 32,
  uint8: 8,
  uint16: 16,
  uint32: 32,
};

/** The element conversion from `from` to `to`; storeFn (in map1) finishes it into `to`'s storage. */
function converter(node: Node, from: DType, to: DType): (v: Scalar) => Scalar {
  if (from === 'string' || to === 'string') {
    if (from === 'bool' || to === 'bool') {
      throw opError(node, `Cast between bool and string is not supported`, 'numeric ↔ string casts');
    }
    if (from === 'string') return (v) => parseNumber(node, v as string, to);
    return (v) => formatNumber(v as number | bigint, from);
  }
  if (to === 'bool') return (v) => (typeof v === 'bigint' ? v !== 0n : (v as number) !== 0);
  const bits = BITS[to];
  if (isBigIntDType(from) && bits !== undefined) {
    // Keep the low bits exactly (Number() of a large bigint would round them away).
    const signed = to.startsWith('int');
    return (v) => Number(signed ? BigInt.asIntN(bits, v as bigint) : BigInt.asUintN(bits, v as bigint));
  }
  return (v) => v;
}

function cast(node: Node, x: Tensor, to: DType): Tensor {
  checkCastable(node, x.dtype, 'input');
  checkCastable(node, to, 'target');
  return map1(x, to, converter(node, x.dtype, to));
}

export const castOps: OpDef[] = [
  {
    op: 'Cast',
    versions: [1, 21],
    run: (inputs, { node }) => [cast(node, requireInput(node, inputs, 0, 'input'), targetType(node))],
    infer: (ctx) => {
      const to = targetType(ctx.node);
      checkCastable(ctx.node, to, 'target');
      const x = ctx.inputs[0];
      if (x) checkCastable(ctx.node, x.dtype, 'input');
      return [{ dtype: to, shape: x?.shape ? [...x.shape] : undefined }];
    },
  },
  {
    op: 'CastLike',
    versions: [15, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'input');
      const like = requireInput(node, inputs, 1, 'target_type');
      return [cast(node, x, like.dtype)];
    },
    infer: (ctx) => {
      const [x, like] = ctx.inputs;
      if (!like) return [undefined];
      checkCastable(ctx.node, like.dtype, 'target');
      if (x) checkCastable(ctx.node, x.dtype, 'input');
      return sameAsInput(0)({ ...ctx, inputs: [{ dtype: like.dtype, shape: x?.shape }] });
    },
  },
];
