/** kiln.Elementwise: a fused chain of elementwise ops, its `expression` evaluated per broadcast element. */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { asKilnError } from '../../../../runtime/errors.js';
import { attrString } from '../../../ir/attrs.js';
import { compileExpr, parseExpr } from '../../../passes/elementwise-expr.js';
import type { OpDef } from '../../op.js';
import { broadcastDims, mapBroadcast, opError, requireInput } from '../common.js';

const elementwise: OpDef = {
  op: 'Elementwise',
  domain: 'kiln',
  versions: [1, 1],
  run: (inputs, { node }) => {
    const ts = inputs.map((_, i) => requireInput(node, inputs, i, `input ${i}`));
    const dtype = ts[0]?.dtype;
    if (!dtype || !isFloatDType(dtype) || ts.some((t) => t.dtype !== dtype))
      throw opError(
        node,
        `inputs are ${ts.map((t) => t.dtype).join(', ') || 'none'}`,
        'float inputs of one dtype',
      );
    let f: (xs: ArrayLike<number>) => number;
    try {
      f = compileExpr(parseExpr(attrString(node, 'expression'), ts.length));
    } catch (err) {
      throw asKilnError(err, 'bad expression', { node: node.name, op: node.op });
    }
    return [mapBroadcast(node, ts, dtype, (...xs) => f(xs as number[]))];
  },
  infer: (ctx) => {
    const first = ctx.inputs[0];
    if (!first) return [undefined];
    const shape = ctx.inputs.every((t) => t?.shape)
      ? broadcastDims(ctx, ...ctx.inputs.map((t) => t!.shape))
      : undefined;
    return [{ dtype: first.dtype, shape }];
  },
};

export const elementwiseOps: OpDef[] = [elementwise];
