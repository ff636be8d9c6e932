/** Reshape, Flatten, Squeeze, Unsqueeze: same data, new shape. */
import type { Tensor } from '../../../../runtime/tensor.js';
import { attrInt, attrIntsOpt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext, OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { constInts, dimProduct, intList, withShape } from './util.js';

/** Resolve a Reshape target against the input shape (0 copies a dim unless allowzero, one -1 is inferred). */
function reshapeTarget(
  node: Node,
  inShape: readonly number[],
  target: number[],
  allowzero: boolean,
): number[] {
  let neg = -1;
  let known = 1;
  const out = target.map((d, i) => {
    if (d === -1) {
      if (neg >= 0) throw opError(node, `shape [${target.join(',')}] has more than one -1`, 'at most one -1');
      neg = i;
      return -1;
    }
    if (d < -1 || !Number.isSafeInteger(d)) throw opError(node, `invalid dim ${d} in shape`, 'dims >= -1');
    let v = d;
    if (d === 0 && !allowzero) {
      if (i >= inShape.length)
        throw opError(node, `shape dim ${i} is 0 but the input has rank ${inShape.length}`, 'a dim to copy');
      v = inShape[i]!;
    }
    known *= v;
    return v;
  });
  const size = inShape.reduce((a, b) => a * b, 1);
  if (neg >= 0) {
    if (allowzero && target.includes(0))
      throw opError(node, 'shape has both 0 and -1 with allowzero=1', 'no -1 when a dim is a literal 0');
    if (known === 0 || size % known !== 0)
      throw opError(
        node,
        `cannot reshape [${inShape.join(',')}] to [${target.join(',')}]`,
        'a -1 dim that divides the size evenly',
      );
    out[neg] = size / known;
  } else if (known !== size) {
    throw opError(node, `cannot reshape [${inShape.join(',')}] (${size} elements) to [${out.join(',')}]`);
  }
  return out;
}

const Reshape: OpDef = {
  op: 'Reshape',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'data');
    const target =
      opset < 5
        ? (attrIntsOpt(node, 'shape') ?? [])
        : intList(node, requireInput(node, inputs, 1, 'shape'), 'shape');
    const allowzero = opset >= 14 && attrInt(node, 'allowzero', 0) === 1;
    return [withShape(x, reshapeTarget(node, x.shape, target, allowzero))];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    const target = ctx.opset < 5 ? attrIntsOpt(ctx.node, 'shape') : constInts(ctx, 1, 'shape');
    if (!target) {
      const s = ctx.inputs[1]?.shape;
      if (s && s.length === 1 && typeof s[0] === 'number')
        return [{ dtype: x.dtype, shape: Array.from({ length: s[0] }, () => ctx.freshDim()) }];
      return [{ dtype: x.dtype }];
    }
    const allowzero = ctx.opset >= 14 && attrInt(ctx.node, 'allowzero', 0) === 1;
    return [{ dtype: x.dtype, shape: inferReshape(ctx, x.shape, target, allowzero) }];
  },
};

/** Symbolic Reshape: copy dims for 0, and solve -1 by cancelling the known dims and symbols. */
function inferReshape(
  ctx: InferContext,
  inShape: Dim[] | undefined,
  target: number[],
  allowzero: boolean,
): Dim[] {
  if (inShape && inShape.every((d) => typeof d === 'number'))
    return reshapeTarget(ctx.node, inShape as number[], target, allowzero);
  const out: Dim[] = target.map((d, i) => {
    if (d === 0 && !allowzero) return inShape ? (inShape[i] ?? ctx.freshDim()) : ctx.freshDim();
    return d;
  });
  const neg = target.indexOf(-1);
  if (neg < 0) return out;
  if (!inShape) {
    out[neg] = ctx.freshDim();
    return out;
  }
  // Cancel: input = numIn * syms(in); output = numOut * syms(out) * x.
  let numIn = 1;
  const symsIn: string[] = [];
  for (const d of inShape) {
    if (typeof d === 'number') numIn *= d;
    else symsIn.push(d);
  }
  let numOut = 1;
  let ok = true;
  out.forEach((d, i) => {
    if (i === neg) return;
    if (typeof d === 'number') numOut *= d;
    else {
      const k = symsIn.indexOf(d);
      if (k >= 0) symsIn.splice(k, 1);
      else ok = false;
    }
  });
  if (ok && numOut !== 0 && numIn % numOut === 0) {
    const rest = numIn / numOut;
    if (symsIn.length === 0) out[neg] = rest;
    else if (symsIn.length === 1 && rest === 1) out[neg] = symsIn[0]!;
    else out[neg] = ctx.freshDim();
  } else out[neg] = ctx.freshDim();
  return out;
}

function flattenAxis(node: Node, opset: number, rank: number): number {
  const axis = attrInt(node, 'axis', 1);
  // Flatten accepts axis == rank (everything in the first dim); negative axes from opset 11.
  const a = axis < 0 && opset >= 11 ? axis + rank : axis;
  if (a < 0 || a > rank)
    throw opError(node, `axis ${axis} is out of range for rank ${rank}`, `-${rank}..${rank}`);
  return a;
}

const Flatten: OpDef = {
  op: 'Flatten',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'input');
    const a = flattenAxis(node, opset, x.rank);
    const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(a).reduce((p, d) => p * d, 1);
    return [withShape(x, [outer, inner])];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype, shape: [ctx.freshDim(), ctx.freshDim()] }];
    const a = flattenAxis(ctx.node, ctx.opset, x.shape.length);
    return [
      { dtype: x.dtype, shape: [dimProduct(ctx, x.shape.slice(0, a)), dimProduct(ctx, x.shape.slice(a))] },
    ];
  },
};

/** Squeeze/Unsqueeze axes: an attribute before opset 13, an input from 13. */
function axesOf(node: Node, opset: number, input: Tensor | undefined): number[] | undefined {
  if (opset < 13) return attrIntsOpt(node, 'axes');
  return input ? intList(node, input, 'axes') : undefined;
}

function uniqueAxes(node: Node, axes: number[], rank: number): number[] {
  const norm = axes.map((a) => normalizeAxis(node, a, rank));
  if (new Set(norm).size !== norm.length)
    throw opError(node, `duplicate axes [${axes.join(',')}]`, 'unique axes');
  return norm;
}

function squeezeShape(node: Node, shape: Dim[], axes: number[] | undefined): Dim[] | undefined {
  if (!axes) {
    if (shape.some((d) => typeof d !== 'number')) return undefined;
    return shape.filter((d) => d !== 1);
  }
  const norm = uniqueAxes(node, axes, shape.length);
  for (const a of norm) {
    const d = shape[a]!;
    if (typeof d === 'number' && d !== 1)
      throw opError(node, `cannot squeeze axis ${a} of size ${d}`, 'squeezed axes of size 1');
  }
  return shape.filter((_, i) => !norm.includes(i));
}

const Squeeze: OpDef = {
  op: 'Squeeze',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'data');
    const shape = squeezeShape(node, [...x.shape], axesOf(node, opset, inputs[1])) as number[];
    return [withShape(x, shape)];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    let axes: number[] | undefined;
    if (ctx.opset < 13) axes = attrIntsOpt(ctx.node, 'axes');
    else if (ctx.node.inputs[1]) {
      axes = constInts(ctx, 1, 'axes');
      if (!axes) return [{ dtype: x.dtype }];
    }
    return [{ dtype: x.dtype, shape: x.shape ? squeezeShape(ctx.node, x.shape, axes) : undefined }];
  },
};

function unsqueezeShape(node: Node, shape: Dim[], axes: number[] | undefined): Dim[] {
  if (!axes) throw opError(node, 'missing axes', 'axes (an attribute before opset 13, input 1 from 13)');
  const rank = shape.length + axes.length;
  const norm = uniqueAxes(node, axes, rank);
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : shape[j++]!);
  return out;
}

const Unsqueeze: OpDef = {
  op: 'Unsqueeze',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'data');
    return [withShape(x, unsqueezeShape(node, [...x.shape], axesOf(node, opset, inputs[1])) as number[])];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    const axes = ctx.opset < 13 ? attrIntsOpt(ctx.node, 'axes') : constInts(ctx, 1, 'axes');
    if (!axes || !x.shape) return [{ dtype: x.dtype }];
    return [{ dtype: x.dtype, shape: unsqueezeShape(ctx.node, x.shape, axes) }];
  },
};

export const reshapeOps: OpDef[] = [Reshape, Flatten, Squeeze, Unsqueeze];
