/** Conv (float) and its shape inference, shared with the integer convolutions. */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { attrInt, attrIntsOpt } from '../../../ir/attrs.js';
import type { Dim } from '../../../ir/graph.js';
import type { InferContext, OpDef, TypeInfo } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { convolve } from './convCore.js';
import { inferWindowDims, readWindow } from './spatial.js';
import { fromF64, toF64 } from './util.js';

/** Output shape [N, M, ...spatial] of a convolution from X/W types; spatial sizes need a known kernel. */
export function inferConvShape(ctx: InferContext, x?: Dim[], w?: Dim[]): Dim[] | undefined {
  const rank = x?.length ?? w?.length;
  if (rank === undefined) return undefined;
  if (rank < 3) throw opError(ctx.node, `X has rank ${rank}`, 'rank >= 3 ([N, C, D1, ...])');
  const nSp = rank - 2;
  const M = w?.[0] ?? ctx.freshDim();
  const attrKernel = attrIntsOpt(ctx.node, 'kernel_shape');
  const wk = w?.slice(2);
  const kernel = attrKernel ?? (wk && wk.every((d) => typeof d === 'number') ? (wk as number[]) : undefined);
  if (!x || !kernel)
    return [x?.[0] ?? ctx.freshDim(), M, ...Array.from({ length: nSp }, () => ctx.freshDim())];
  const win = readWindow(ctx.node, nSp, kernel);
  return [x[0]!, M, ...inferWindowDims(ctx, x.slice(2), win)];
}

const conv: OpDef = {
  op: 'Conv',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const w = requireInput(node, inputs, 1, 'W');
    const b = inputs[2];
    if (!isFloatDType(x.dtype)) throw opError(node, `X has dtype ${x.dtype}`, 'a float tensor');
    if (w.dtype !== x.dtype || (b && b.dtype !== x.dtype))
      throw opError(
        node,
        `X is ${x.dtype}, W is ${w.dtype}${b ? `, B is ${b.dtype}` : ''}`,
        'one float type for X, W and B',
      );
    if (w.rank < 3) throw opError(node, `W has shape [${w.shape.join(',')}]`, '[M, C/group, k1, ...]');
    const window = readWindow(node, x.rank - 2, w.shape.slice(2));
    if (window.kernel.some((k, i) => k !== w.shape[i + 2]))
      throw opError(node, `kernel_shape [${window.kernel}] does not match W [${w.shape.join(',')}]`);
    const M = w.shape[0]!;
    if (b && (b.rank !== 1 || b.shape[0] !== M))
      throw opError(node, `B has shape [${b.shape.join(',')}]`, `[${M}] (one bias per output channel)`);
    const { out, shape } = convolve(node, {
      x: toF64(node, x, 'X'),
      xShape: x.shape,
      w: toF64(node, w, 'W'),
      wShape: w.shape,
      bias: b ? toF64(node, b, 'B') : null,
      group: attrInt(node, 'group', 1),
      window,
    });
    return [fromF64(x.dtype, shape, out)];
  },
  infer: (ctx) => {
    const [x, w] = ctx.inputs;
    if (!x) return [undefined];
    const t: TypeInfo = { dtype: x.dtype, shape: inferConvShape(ctx, x.shape, w?.shape) };
    return [t];
  },
};

export const convOps: OpDef[] = [conv];
