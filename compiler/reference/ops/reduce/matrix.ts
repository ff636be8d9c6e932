/** Matrix-shaped ops: Trilu (opset 14), Det (opset 11), EyeLike (opset 9). */
import { type DType, dtypeFromOnnx, isFloatDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData } from '../../../../runtime/tensor.js';
import { attrInt, attrIntOpt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput, sameAsInput } from '../common.js';
import { scalarInput } from './util.js';

/** Determinant by LU decomposition with partial pivoting, in float64. */
function determinant(a: Float64Array, n: number): number {
  let det = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    const pivot = a[p * n + c]!;
    if (pivot === 0) return 0;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = a[c * n + k]!;
        a[c * n + k] = a[p * n + k]!;
        a[p * n + k] = t;
      }
      det = -det;
    }
    det *= pivot;
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / pivot;
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[r * n + k]! -= f * a[c * n + k]!;
    }
  }
  return det;
}

function eyeDType(node: Node, input: DType): DType {
  const code = attrIntOpt(node, 'dtype');
  if (code === undefined) return input;
  const d = dtypeFromOnnx(code);
  if (!d || d === 'string')
    throw opError(node, `dtype ${code} is not supported`, 'a numeric TensorProto type');
  return d;
}

export const matrixOps: OpDef[] = [
  {
    op: 'Trilu',
    versions: [14, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'input');
      if (x.rank < 2) throw opError(node, `input has rank ${x.rank}`, 'rank >= 2');
      const k = inputs[1] ? scalarInput(node, inputs[1], 'k') : 0;
      const upper = attrInt(node, 'upper', 1) !== 0;
      const [rows, cols] = x.shape.slice(-2) as [number, number];
      const out = allocData(x.dtype, x.size);
      const src = x.data as ArrayLike<unknown>;
      const o = out as unknown as unknown[];
      const zero = x.dtype === 'int64' || x.dtype === 'uint64' ? 0n : x.dtype === 'string' ? '' : 0;
      for (let i = 0; i < x.size; i++) {
        const c = i % cols;
        const r = Math.floor(i / cols) % rows;
        // Upper keeps the k-th diagonal and above (c - r >= k); lower keeps it and below.
        o[i] = (upper ? c - r >= k : c - r <= k) ? src[i] : zero;
      }
      return [new Tensor(x.dtype, x.shape, out)];
    },
    infer: sameAsInput(0),
  },
  {
    op: 'Det',
    versions: [11, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'X');
      if (!isFloatDType(x.dtype)) throw opError(node, `dtype ${x.dtype} is not supported`, 'a float tensor');
      const n = x.shape[x.rank - 1]!;
      if (x.rank < 2 || x.shape[x.rank - 2] !== n)
        throw opError(
          node,
          `input shape [${x.shape.join(',')}] is not a batch of square matrices`,
          '[*, M, M]',
        );
      const batch = x.shape.slice(0, -2);
      const count = batch.reduce((a, b) => a * b, 1);
      const out = allocData(x.dtype, count) as Float64Array;
      const src = x.data as Float64Array;
      for (let b = 0; b < count; b++)
        out[b] = determinant(Float64Array.from(src.subarray(b * n * n, (b + 1) * n * n)), n);
      return [new Tensor(x.dtype, batch, out)];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      if (!x) return [undefined];
      if (!x.shape) return [{ dtype: x.dtype }];
      if (x.shape.length < 2) throw opError(ctx.node, `input has rank ${x.shape.length}`, 'rank >= 2');
      return [{ dtype: x.dtype, shape: x.shape.slice(0, -2) }];
    },
  },
  {
    op: 'EyeLike',
    versions: [9, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'input');
      if (x.rank !== 2) throw opError(node, `input has rank ${x.rank}`, 'a 2-D tensor');
      const dtype = eyeDType(node, x.dtype);
      const k = attrInt(node, 'k', 0);
      const [rows, cols] = x.shape as [number, number];
      const out = allocData(dtype, rows * cols);
      const one = dtype === 'int64' || dtype === 'uint64' ? 1n : 1;
      const o = out as unknown as (number | bigint)[];
      for (let r = 0; r < rows; r++) {
        const c = r + k;
        if (c >= 0 && c < cols) o[r * cols + c] = one;
      }
      return [new Tensor(dtype, x.shape, out)];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      if (!x) return [undefined];
      if (x.shape && x.shape.length !== 2)
        throw opError(ctx.node, `input has rank ${x.shape.length}`, 'a 2-D tensor');
      return [{ dtype: eyeDType(ctx.node, x.dtype), shape: x.shape?.slice() }];
    },
  },
];
