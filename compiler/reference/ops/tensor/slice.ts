/** Slice: strided windows with numpy clamping (attributes in opset 1-9, inputs from 10). */
import type { Tensor } from '../../../../runtime/tensor.js';
import { attrInts, attrIntsOpt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { constInts, forEachIndex, intList, stridesOf, takeFlat } from './util.js';

interface SliceArgs {
  starts: number[];
  ends: number[];
  axes: number[] | undefined;
  steps: number[] | undefined;
}

/** Per-axis [start, step, length] after clamping; axes not listed keep their full range. */
function resolve(
  node: Node,
  shape: readonly number[],
  a: SliceArgs,
): { start: number[]; step: number[]; len: number[] } {
  const rank = shape.length;
  const n = a.starts.length;
  if (a.ends.length !== n || (a.axes && a.axes.length !== n) || (a.steps && a.steps.length !== n))
    throw opError(node, 'starts, ends, axes and steps have different lengths', 'equal lengths');
  const axes = (a.axes ?? Array.from({ length: n }, (_, i) => i)).map((x) => normalizeAxis(node, x, rank));
  if (new Set(axes).size !== axes.length)
    throw opError(node, `duplicate axes [${axes.join(',')}]`, 'unique axes');
  const start = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  const len = [...shape];
  axes.forEach((ax, i) => {
    const dim = shape[ax]!;
    const st = a.steps ? a.steps[i]! : 1;
    if (st === 0) throw opError(node, `step for axis ${ax} is 0`, 'non-zero steps');
    let s = a.starts[i]!;
    let e = a.ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    start[ax] = s;
    step[ax] = st;
    len[ax] = Math.max(0, Math.ceil((e - s) / st));
  });
  return { start, step, len };
}

function sliceArgs(node: Node, opset: number, inputs: (Tensor | undefined)[]): SliceArgs {
  if (opset < 10)
    return {
      starts: attrInts(node, 'starts'),
      ends: attrInts(node, 'ends'),
      axes: attrIntsOpt(node, 'axes'),
      steps: undefined,
    };
  const list = (i: number, what: string) => (inputs[i] ? intList(node, inputs[i], what) : undefined);
  return {
    starts: intList(node, requireInput(node, inputs, 1, 'starts'), 'starts'),
    ends: intList(node, requireInput(node, inputs, 2, 'ends'), 'ends'),
    axes: list(3, 'axes'),
    steps: list(4, 'steps'),
  };
}

const Slice: OpDef = {
  op: 'Slice',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'data');
    const { start, step, len } = resolve(node, x.shape, sliceArgs(node, opset, inputs));
    const strides = stridesOf(x.shape);
    const map = new Int32Array(len.reduce((p, d) => p * d, 1));
    forEachIndex(len, (idx, k) => {
      let off = 0;
      for (let d = 0; d < idx.length; d++) off += (start[d]! + idx[d]! * step[d]!) * strides[d]!;
      map[k] = off;
    });
    return [takeFlat(x, len, map)];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype }];
    const shape = x.shape;
    let args: SliceArgs | undefined;
    if (ctx.opset < 10) args = sliceArgs(ctx.node, ctx.opset, []);
    else {
      const starts = constInts(ctx, 1, 'starts');
      const ends = constInts(ctx, 2, 'ends');
      const axes = ctx.node.inputs[3] ? constInts(ctx, 3, 'axes') : undefined;
      const steps = ctx.node.inputs[4] ? constInts(ctx, 4, 'steps') : undefined;
      const missing = (ctx.node.inputs[3] && !axes) || (ctx.node.inputs[4] && !steps);
      if (starts && ends && !missing) args = { starts, ends, axes, steps };
      else if (axes && !missing) {
        // Which axes are sliced is known, their new sizes are not.
        const norm = axes.map((a) => normalizeAxis(ctx.node, a, shape.length));
        return [{ dtype: x.dtype, shape: shape.map((d, i) => (norm.includes(i) ? ctx.freshDim() : d)) }];
      } else return [{ dtype: x.dtype, shape: shape.map(() => ctx.freshDim()) }];
    }
    // Resolve with symbolic dims stood in by a huge size; a symbol survives only an untouched full range.
    const BIG = 2 ** 52;
    const concrete = shape.map((d) => (typeof d === 'number' ? d : BIG));
    const r = resolve(ctx.node, concrete, args);
    const out: Dim[] = shape.map((d, i) => {
      if (typeof d === 'number') return r.len[i]!;
      if (r.start[i] === 0 && r.step[i] === 1 && r.len[i] === BIG) return d;
      return ctx.freshDim();
    });
    return [{ dtype: x.dtype, shape: out }];
  },
};

export const sliceOps: OpDef[] = [Slice];
