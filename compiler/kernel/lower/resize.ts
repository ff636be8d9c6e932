import { attrFloat, attrFloats, attrIntsOpt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { axisPlan } from '../../reference/ops/tensor/resize-coeffs.js';
import { resizeInputs, resizeOptions, resolveTarget } from '../../reference/ops/tensor/resize.js';
import { type Expr, affine } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { loopNest, strides } from './loops.js';
import { lowerResizeNearest } from './resize-nearest.js';

/**
 * Resize with constant scales/sizes: interpolation is separable and linear in the input, so each
 * resized axis is one kernel multiplying along that axis by an [out, in] matrix built at compile time
 * from the reference's per-axis taps (every mode and coordinate transform the reference knows), plus
 * the extrapolation value where a position falls outside (tf_crop_and_resize). Nearest mode is a
 * gather copy instead (resize-nearest.ts), unless a position falls outside.
 */
export function lowerResize(node: Node, ctx: LowerContext): void {
  const opset = ctx.opset(node);
  const inputs = node.inputs.map((v) => (v ? ctx.constant(v) : undefined));
  // Non-constant scales/sizes/roi leave the output shape symbolic, which ctx.shape refuses below.
  const outShape = ctx.shape(node, node.outputs[0]!);
  resizeAxes(node, ctx, opset, outShape, resizeInputs(node, opset, inputs));
}

/**
 * Upsample (opset 7-9) is Resize-10 (nearest or linear, asymmetric coordinates) with its scales from
 * the attribute (7-8) or the input (9: constant, or bound at compile time).
 */
export function lowerUpsample(node: Node, ctx: LowerContext): void {
  const outShape = ctx.shape(node, node.outputs[0]!);
  const scales =
    ctx.opset(node) >= 9
      ? Array.from(constantF32(ctx, node, node.inputs[1]!, 'scales'))
      : attrFloats(node, 'scales');
  resizeAxes(node, ctx, 10, outShape, { scales, sizes: undefined, roi: undefined });
}

function resizeAxes(
  node: Node,
  ctx: LowerContext,
  opset: number,
  outShape: number[],
  { scales, sizes, roi }: ReturnType<typeof resizeInputs>,
): void {
  const inShape = ctx.shape(node, node.inputs[0]!);
  const axes = opset >= 18 ? attrIntsOpt(node, 'axes') : undefined;
  const t = resolveTarget(node, opset, inShape, scales, sizes, roi, axes);
  const o = resizeOptions(node, opset);
  const extrapolation = opset >= 11 ? attrFloat(node, 'extrapolation_value', 0) : 0;
  const specOf = (a: number) => ({
    inSize: inShape[a]!,
    outSize: outShape[a]!,
    scale: t.scales[a]!,
    roi: (t.roi ? [t.roi[a]!, t.roi[a + inShape.length]!] : [0, 1]) as [number, number],
  });
  if (
    o.mode === 'nearest' &&
    lowerResizeNearest(
      node,
      ctx,
      inShape,
      outShape,
      inShape.map((_, a) => axisPlan(specOf(a), o)),
    )
  )
    return;
  let src = ctx.buffer(node.inputs[0]!);
  let shape = [...inShape];
  const resized = inShape
    .map((_, a) => a)
    .filter((a) => t.sizes[a] !== inShape[a] || t.scales[a] !== 1 || roi);
  if (!resized.length) resized.push(0);
  resized.forEach((a, step) => {
    const d = shape[a]!;
    const n = outShape[a]!;
    const plan = axisPlan({ ...specOf(a), inSize: d }, o);
    const mat = new Float32Array(n * d);
    const extra = new Float32Array(n);
    plan.forEach((taps, i) => {
      if (!taps) extra[i] = extrapolation;
      else taps.idx.forEach((j, k) => (mat[i * d + j] = mat[i * d + j]! + taps.w[k]!));
    });
    const next = shape.map((x, i) => (i === a ? n : x));
    const total = next.reduce((p, x) => p * x, 1);
    const dst =
      step === resized.length - 1
        ? ctx.activation(node.outputs[0]!, total)
        : ctx.temp(`${node.name}:axis${a}`, total);
    const m = ctx.weight(`${node.name}:interp${a}`, mat);
    const e = ctx.weight(`${node.name}:extrap${a}`, extra);
    const [ist, ost] = [strides(shape), strides(next)];
    ctx.emit({
      kind: 'loops',
      name: 'Resize',
      nodes: [node.name],
      buffers: [],
      body: loopNest(next, 'i', (v) => {
        const inAt = (j: string) =>
          affine(0, ...v.map((x, i): [string, number] => (i === a ? [j, ist[i]!] : [x, ist[i]!])));
        const term: Expr = {
          k: 'bin',
          op: 'mul',
          a: { k: 'load', buf: m, at: affine(0, [v[a]!, d], ['j', 1]) },
          b: { k: 'load', buf: src, at: inAt('j') },
        };
        return [
          { k: 'set', acc: 's', value: { k: 'load', buf: e, at: affine(0, [v[a]!, 1]) } },
          {
            k: 'loop',
            v: 'j',
            n: d,
            body: [
              { k: 'set', acc: 's', value: { k: 'bin', op: 'add', a: { k: 'acc', name: 's' }, b: term } },
            ],
          },
          {
            k: 'store',
            buf: dst,
            at: affine(0, ...v.map((x, i): [string, number] => [x, ost[i]!])),
            value: { k: 'acc', name: 's' },
          },
        ];
      }),
    });
    src = dst;
    shape = next;
  });
}
