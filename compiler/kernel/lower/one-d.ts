import { Tensor } from '../../../runtime/tensor.js';
import type { Attribute, Node } from '../../ir/graph.js';
import type { Activation } from '../ir.js';
import type { LowerContext } from './context.js';

/**
 * 1-D Conv / MaxPool / AveragePool as their 2-D lowerings over a unit-height view: [N, C, L] is read
 * as [N, C, 1, L] (same memory), the window attributes gain a leading 1 (pads a leading 0 per side),
 * and a constant W of shape [M, C/g, K] is viewed as [M, C/g, 1, K].
 */
export function as2d(
  lower: (node: Node, ctx: LowerContext, activation?: Activation) => void,
): (node: Node, ctx: LowerContext, activation?: Activation) => void {
  return (node, ctx, activation) => {
    if (ctx.shape(node, node.inputs[0]!).length !== 3) {
      lower(node, ctx, activation);
      return;
    }
    // A value's unit-height twin: same buffer (alias), 4-D type, and for constants 4-D data.
    const twin = (v: string): string => {
      const t = ctx.types.get(v)!;
      const shape = ctx.shape(node, v);
      const name = `${v}:2d`;
      const shape4 = [shape[0]!, shape[1]!, 1, shape[2]!];
      ctx.types.set(name, { ...t, shape: shape4 });
      const k = ctx.constant(v);
      if (k) ctx.constants.set(name, new Tensor(k.dtype, shape4, k.data));
      ctx.alias(name, v);
      return name;
    };
    const ints = (name: string, lead: number, perSide = false): Attribute | undefined => {
      const a = node.attrs[name];
      if (a?.type !== 'ints') return undefined;
      const v = a.value;
      return { type: 'ints', value: perSide ? [lead, v[0]!, lead, v[1]!] : [lead, ...v] };
    };
    const attrs: Record<string, Attribute> = { ...node.attrs };
    for (const [name, lead, perSide] of [
      ['kernel_shape', 1, false],
      ['strides', 1, false],
      ['dilations', 1, false],
      ['pads', 0, true],
    ] as const) {
      const a = ints(name, lead, perSide);
      if (a) attrs[name] = a;
    }
    const inputs = node.inputs.map((v, i) =>
      v && (i === 0 || (node.op === 'Conv' && i === 1)) ? twin(v) : v,
    );
    const outputs = node.outputs.map((v, i) => (v && i === 0 ? twin(v) : v));
    lower({ ...node, inputs, outputs, attrs }, ctx, activation);
  };
}
