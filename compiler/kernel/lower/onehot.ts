import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, affine, computeType } from '../ir.js';
import type { LowerContext } from './context.js';
import { normalised } from './gather-dynamic.js';
import { iota, iotaAt } from './iota.js';
import { strides } from './loops.js';
import { perElementKernel } from './per-element.js';

/**
 * OneHot on any index and value types: out[i.., d, j..] = values[1] where the index at [i.., j..]
 * (truncated toward zero; negative ones counted from the end from opset 11) equals d, else
 * values[0]. `depth` decides the shape, so it is a constant (or bound, kiln compile --bind).
 */
export function lowerOneHot(node: Node, ctx: LowerContext): void {
  const idxShape = ctx.shape(node, node.inputs[0]!);
  const outShape = ctx.shape(node, node.outputs[0]!);
  const axis = attrInt(node, 'axis', -1);
  const a = axis < 0 ? axis + outShape.length : axis;
  const depth = outShape[a]!;
  const it = computeType(ctx.elemType(node, node.inputs[0]!));
  // integer indices compare in their own type; float ones are truncated to int32 first
  const cmpType = it === 'i64' ? 'i64' : 'i32';
  const positions = iota(ctx, node, 'depth', depth, cmpType === 'i64' ? 'int64' : 'int32');
  const idxBuf = ctx.valueBuffer(node, node.inputs[0]!);
  const values = ctx.valueBuffer(node, node.inputs[2]!);
  const is = strides(idxShape);
  perElementKernel(ctx, node, 'one_hot', outShape, 'h', (v) => {
    const idxVars = v.filter((_, k) => k !== a);
    const raw: Expr = {
      k: 'load',
      buf: idxBuf,
      at: affine(0, ...idxVars.map((x, k): [string, number] => [x, is[k]!])),
    };
    const ix: Expr = it === cmpType ? raw : { k: 'cast', to: cmpType, a: raw };
    return {
      k: 'select',
      cmp: 'eq',
      a: ctx.opset(node) >= 11 ? normalised(ix, depth) : ix,
      b: iotaAt(positions, v[a]!),
      t: { k: 'load', buf: values, at: affine(1) },
      f: { k: 'load', buf: values, at: affine(0) },
    };
  });
}
