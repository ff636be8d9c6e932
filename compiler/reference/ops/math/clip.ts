/**
 * Clip: min(max(x, lo), hi). Before opset 11 the bounds are float attributes; from 11 they are
 * optional scalar inputs of X's type. A lo above hi gives hi everywhere, as the spec says.
 */
import type { Tensor } from '../../../../runtime/tensor.js';
import { attrFloat } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput, sameAsInput } from '../common.js';
import { FLOATS, NUMERIC, checkDType, checkSameDType, map1, type Scalar } from './util.js';

/** float32's largest value: the pre-opset-11 attribute defaults. */
const FLT_MAX = 3.4028234663852886e38;

function bound(node: Node, t: Tensor | undefined, x: Tensor, what: string): Scalar | undefined {
  if (!t) return undefined;
  checkSameDType(node, [x.dtype, t.dtype], `X and ${what}`);
  if (t.size !== 1) {
    throw opError(node, `${what} has shape [${t.shape.join(',')}]`, 'a scalar (one element)');
  }
  return t.data[0]!;
}

export const clipOps: OpDef[] = [
  {
    op: 'Clip',
    versions: [1, 21],
    run: (inputs, { node, opset }) => {
      const x = requireInput(node, inputs, 0, 'input');
      let lo: Scalar | undefined;
      let hi: Scalar | undefined;
      if (opset < 11) {
        checkDType(node, x.dtype, FLOATS, 'input');
        lo = attrFloat(node, 'min', -FLT_MAX);
        hi = attrFloat(node, 'max', FLT_MAX);
      } else {
        checkDType(node, x.dtype, NUMERIC, 'input');
        lo = bound(node, inputs[1], x, 'min');
        hi = bound(node, inputs[2], x, 'max');
      }
      return [map1(x, x.dtype, (v) => clip(v, lo, hi))];
    },
    infer: (ctx) => {
      const [x, lo, hi] = ctx.inputs;
      if (x) checkDType(ctx.node, x.dtype, ctx.opset < 11 ? FLOATS : NUMERIC, 'input');
      if (ctx.opset >= 11) checkSameDType(ctx.node, [x?.dtype, lo?.dtype, hi?.dtype], 'input, min and max');
      return sameAsInput(0)(ctx);
    },
  },
];

/** NaN inputs stay NaN (comparisons with NaN are false), as numpy.clip keeps them. */
function clip(v: Scalar, lo: Scalar | undefined, hi: Scalar | undefined): Scalar {
  let r = v;
  if (lo !== undefined && r < lo) r = lo;
  if (hi !== undefined && r > hi) r = hi;
  return r;
}
