import { Tensor } from '../../../runtime/tensor.js';
import type { Node } from '../../ir/graph.js';
import type { LowerContext } from './context.js';

/** A compile-time int32 table (gather indices, offsets) as a constant buffer. */
export function int32Table(ctx: LowerContext, node: Node, hint: string, data: Int32Array): string {
  const name = `${node.name}:${hint}`;
  ctx.constants.set(name, new Tensor('int32', [data.length], data));
  ctx.types.set(name, { dtype: 'int32', shape: [data.length] });
  return ctx.constantBuffer(node, name);
}
