import { KilnError } from '../../../runtime/errors.js';
import { attrIntOpt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import type { LowerContext } from './context.js';
import { gatherSlices } from './movement.js';

/**
 * Compress with a constant condition (an initializer, or a graph input bound with kiln compile
 * --bind): the condition decides the output's shape, so it is known at compile time and Compress is
 * a gather of the selected slices along the axis (of the flattened input without an axis). A
 * condition fed at run time never reaches here: checkShapeInputs refuses it, asking to bind it.
 */
export function lowerCompress(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const cond = ctx.constant(node.inputs[1]!);
  if (!cond)
    throw new KilnError(`condition ('${node.inputs[1]}') must be known at compile time`, {
      node: node.name,
      op: node.op,
      expected: 'a constant or a bound input (kiln compile --bind NAME=FILE.npy)',
    });
  const axisAttr = attrIntOpt(node, 'axis');
  const inShape = axisAttr === undefined ? [shape.reduce((p, d) => p * d, 1)] : shape;
  const a = axisAttr === undefined ? 0 : axisAttr < 0 ? axisAttr + shape.length : axisAttr;
  const n = inShape[a]!;
  const picks: number[] = [];
  Array.from(cond.data as ArrayLike<number | bigint>, Number).forEach((v, i) => {
    if (!v) return;
    if (i >= n)
      throw new KilnError(`condition selects index ${i} beyond the axis size ${n}`, {
        node: node.name,
        op: node.op,
        expected: `true only at indices below ${n}`,
      });
    picks.push(i);
  });
  gatherSlices(node, ctx, inShape, a, picks);
}
