import type { Node } from '../../ir/graph.js';
import { Tensor } from '../../../runtime/tensor.js';
import { type Expr, affine } from '../ir.js';
import type { LowerContext } from './context.js';

/**
 * 0..n-1 as a constant buffer of int64, int32 or float32: a loop variable's value as an expression
 * (row and column numbers, positions along an axis), which the kernel IR cannot otherwise give.
 */
export function iota(
  ctx: LowerContext,
  node: Node,
  hint: string,
  n: number,
  dtype: 'int64' | 'int32' | 'float32' = 'int64',
): string {
  const name = `${node.name}:${hint}`;
  const data =
    dtype === 'int64'
      ? BigInt64Array.from({ length: n }, (_, i) => BigInt(i))
      : dtype === 'int32'
        ? Int32Array.from({ length: n }, (_, i) => i)
        : Float32Array.from({ length: n }, (_, i) => i);
  ctx.constants.set(name, new Tensor(dtype, [n], data));
  ctx.types.set(name, { dtype, shape: [n] });
  return ctx.constantBuffer(node, name);
}

/** The value of loop variable `v` read from an iota buffer. */
export const iotaAt = (buf: string, v: string): Expr => ({ k: 'load', buf, at: affine(0, [v, 1]) });
