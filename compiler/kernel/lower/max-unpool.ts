import type { Node } from '../../ir/graph.js';
import { readWindow } from '../../reference/ops/nn/spatial.js';
import { type Expr, affine, computeType } from '../ir.js';
import type { LowerContext } from './context.js';
import { loopNest, strides } from './loops.js';

/**
 * MaxUnpool: zero the output, then store each X value at the flat position its index (MaxPool's
 * Indices) names. As the reference: indices address the default-shaped result ((in - 1)·stride +
 * kernel - pads per spatial axis), which a larger output_shape holds at its origin (each index split
 * into coordinates, at run time); for a smaller one they are flat positions in the output itself.
 * Indices are not range-checked at run time.
 */
export function lowerMaxUnpool(node: Node, ctx: LowerContext): void {
  const xShape = ctx.shape(node, node.inputs[0]!);
  const outShape = ctx.shape(node, node.outputs[0]!);
  const w = readWindow(node, xShape.length - 2);
  const n = xShape.length - 2;
  const dflt = [
    xShape[0]!,
    xShape[1]!,
    ...xShape.slice(2).map((d, i) => (d - 1) * w.strides[i]! + w.kernel[i]! - w.pads[i]! - w.pads[i + n]!),
  ];
  const embed = outShape.every((d, i) => d >= dflt[i]!) && outShape.some((d, i) => d !== dflt[i]);
  const out = ctx.activation(
    node.outputs[0]!,
    outShape.reduce((a, b) => a * b, 1),
  );
  const xs = strides(xShape);
  const at = (v: string[]) => affine(0, ...v.map((x, k): [string, number] => [x, xs[k]!]));
  const idxType = computeType(ctx.elemType(node, node.inputs[1]!));
  const j = (v: string[]): Expr => ({ k: 'load', buf: ctx.valueBuffer(node, node.inputs[1]!), at: at(v) });
  const c = (v: number): Expr => ({ k: 'const', v, t: idxType });
  const ds = strides(dflt);
  const os = strides(outShape);
  const dyn = (v: string[]) =>
    embed
      ? dflt.map((d, k) => ({
          e: {
            k: 'bin',
            op: 'rem',
            a: { k: 'bin', op: 'div', a: j(v), b: c(ds[k]!) },
            b: c(d),
          } as Expr,
          c: os[k]!,
        }))
      : [{ e: j(v), c: 1 }];
  ctx.emit({
    kind: 'loops',
    name: 'max_unpool',
    nodes: [node.name],
    buffers: [],
    body: [
      ...loopNest(outShape, 'z', (v) => [
        {
          k: 'store',
          buf: out,
          at: affine(0, ...v.map((x, k): [string, number] => [x, os[k]!])),
          value: { k: 'const', v: 0 },
        },
      ]),
      ...loopNest(
        xShape,
        's',
        (v) => [
          {
            k: 'store',
            buf: out,
            at: { ...affine(0), dyn: dyn(v) },
            value: { k: 'load', buf: ctx.valueBuffer(node, node.inputs[0]!), at: at(v) },
          },
        ],
        false,
      ),
    ],
  });
}
