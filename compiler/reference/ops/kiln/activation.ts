/** The `activation`/`activation_params` attributes of fused kiln ops, applied to a result tensor. */
import { isFloatDType } from '../../../../runtime/dtype.js';
import type { Tensor } from '../../../../runtime/tensor.js';
import { attrFloats, attrString } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import { activationExpr } from '../../../passes/activations.js';
import { compileExpr } from '../../../passes/elementwise-expr.js';
import { asKilnError } from '../../../../runtime/errors.js';
import { mapBroadcast, opError } from '../common.js';

export function applyActivation(node: Node, t: Tensor): Tensor {
  const kind = attrString(node, 'activation', 'none');
  if (kind === 'none') return t;
  if (!isFloatDType(t.dtype)) throw opError(node, `activation on a ${t.dtype} result`, 'a float result');
  let f: (xs: ArrayLike<number>) => number;
  try {
    f = compileExpr(activationExpr(kind, attrFloats(node, 'activation_params', [])));
  } catch (err) {
    throw asKilnError(err, 'bad activation', { node: node.name, op: node.op });
  }
  const one = [0];
  return mapBroadcast(node, [t], t.dtype, (x) => {
    one[0] = x as number;
    return f(one);
  });
}
