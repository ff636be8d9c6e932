/** AffineGrid (opset 20): sampling grids for GridSample from batches of 2-D or 3-D affine matrices. */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { toNumbers } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Dim } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { fromF64, toF64 } from './util.js';

/** Normalized coordinate of index i of n: pixel centres (align_corners=0) or corners (=1). */
function base(i: number, n: number, align: boolean): number {
  if (align) return n <= 1 ? 0 : -1 + (2 * i) / (n - 1);
  return (2 * i + 1) / n - 1;
}

const affineGrid: OpDef = {
  op: 'AffineGrid',
  versions: [20, 22],
  run: (inputs, { node }) => {
    const theta = requireInput(node, inputs, 0, 'theta');
    const sizeT = requireInput(node, inputs, 1, 'size');
    if (!isFloatDType(theta.dtype)) throw opError(node, `theta has dtype ${theta.dtype}`, 'a float tensor');
    const size = toNumbers(sizeT);
    const nd = size.length - 2;
    if (nd !== 2 && nd !== 3)
      throw opError(node, `size has ${size.length} values`, '[N, C, H, W] or [N, C, D, H, W]');
    const N = size[0]!;
    if (theta.rank !== 3 || theta.shape[0] !== N || theta.shape[1] !== nd || theta.shape[2] !== nd + 1)
      throw opError(node, `theta has shape [${theta.shape.join(',')}]`, `[${N}, ${nd}, ${nd + 1}]`);
    const align = attrInt(node, 'align_corners', 0) !== 0;
    const sp = size.slice(2);
    if (sp.some((d) => !Number.isInteger(d) || d < 0))
      throw opError(node, `size [${size.join(',')}] is invalid`);
    const td = toF64(node, theta, 'theta');
    const count = sp.reduce((a, b) => a * b, 1);
    const y = new Float64Array(N * count * nd);
    // Homogeneous base point (x, y[, z], 1): x runs along the last axis.
    const pt = new Float64Array(nd + 1);
    pt[nd] = 1;
    for (let n = 0; n < N; n++) {
      const tb = n * nd * (nd + 1);
      for (let p = 0; p < count; p++) {
        let rem = p;
        for (let d = nd - 1; d >= 0; d--) {
          const i = rem % sp[d]!;
          rem = (rem - i) / sp[d]!;
          pt[nd - 1 - d] = base(i, sp[d]!, align);
        }
        const o = (n * count + p) * nd;
        for (let r = 0; r < nd; r++) {
          let s = 0;
          for (let k = 0; k <= nd; k++) s += td[tb + r * (nd + 1) + k]! * pt[k]!;
          y[o + r] = s;
        }
      }
    }
    return [fromF64(theta.dtype, [N, ...sp, nd], y)];
  },
  infer: (ctx) => {
    const theta = ctx.inputs[0];
    if (!theta) return [undefined];
    const c = ctx.constants[1];
    if (c) {
      const size = toNumbers(c);
      return [{ dtype: theta.dtype, shape: [size[0]!, ...size.slice(2), size.length - 2] }];
    }
    const len = ctx.inputs[1]?.shape?.[0];
    if (typeof len !== 'number') return [{ dtype: theta.dtype }];
    const shape: Dim[] = [theta.shape?.[0] ?? ctx.freshDim()];
    for (let i = 2; i < len; i++) shape.push(ctx.freshDim());
    shape.push(len - 2);
    return [{ dtype: theta.dtype, shape }];
  },
};

export const affineGridOps: OpDef[] = [affineGrid];
