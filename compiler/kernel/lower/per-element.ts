import type { Node } from '../../ir/graph.js';
import type { Affine, Expr } from '../ir.js';
import type { LowerContext } from './context.js';
import { rowMajor } from './copy-kernel.js';
import { loopNest } from './loops.js';

/**
 * One loops kernel over `shape` (not vectorised) that stores value(v, at) to the node's first output
 * at `at`, the row-major address of the loop variables `v`: the frame shared by the per-element
 * lowerings outside the float32 SIMD path (QuantizeLinear, DequantizeLinear, ReverseSequence, OneHot).
 */
export function perElementKernel(
  ctx: LowerContext,
  node: Node,
  name: string,
  shape: number[],
  prefix: string,
  value: (v: string[], at: Affine) => Expr,
): void {
  const out = ctx.activation(
    node.outputs[0]!,
    shape.reduce((a, b) => a * b, 1),
  );
  const address = rowMajor(shape);
  ctx.emit({
    kind: 'loops',
    name,
    nodes: [node.name],
    buffers: [],
    body: loopNest(
      shape,
      prefix,
      (v) => {
        const at = address(v);
        return [{ k: 'store', buf: out, at, value: value(v, at) }];
      },
      false,
    ),
  });
}
