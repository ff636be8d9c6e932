/** Data-dependent selections: NonZero (opset 9), Compress (opset 9, negative axis from 11), Unique (opset 11). */
import { Tensor, allocData, stridesOf, toNumbers } from '../../../../runtime/tensor.js';
import { attrInt, attrIntOpt } from '../../../ir/attrs.js';
import type { Dim } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { reduceLayout } from './util.js';

type Elem = number | bigint | string;

/** Copy whole slices `picks` (indices along `axis`) of x into a new tensor, in order. */
function gatherSlices(x: Tensor, axis: number, picks: number[]): Tensor {
  const outShape = x.shape.slice();
  outShape[axis] = picks.length;
  const others = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const inL = reduceLayout(x.shape, others);
  const outL = reduceLayout(outShape, others);
  const out = allocData(x.dtype, outL.bases.length * outL.offsets.length);
  const src = x.data as ArrayLike<Elem>;
  const o = out as unknown as Elem[];
  picks.forEach((p, j) => {
    const ib = inL.bases[p]!;
    const ob = outL.bases[j]!;
    for (let r = 0; r < inL.offsets.length; r++) o[ob + outL.offsets[r]!] = src[ib + inL.offsets[r]!]!;
  });
  return new Tensor(x.dtype, outShape, out);
}

function compareElems(a: Elem, b: Elem): number {
  if (typeof a === 'number' && typeof b === 'number' && (Number.isNaN(a) || Number.isNaN(b)))
    return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1; // NaN sorts last, as numpy
  return a < b ? -1 : a > b ? 1 : 0;
}

const int64 = (shape: number[], values: number[]) =>
  new Tensor('int64', shape, BigInt64Array.from(values, BigInt));

export const selectOps: OpDef[] = [
  {
    op: 'NonZero',
    versions: [9, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'X');
      if (x.dtype === 'string')
        throw opError(node, 'string input is not supported', 'a numeric or bool tensor');
      const src = x.data as ArrayLike<number | bigint>;
      const hits: number[] = [];
      for (let i = 0; i < x.size; i++) if (src[i]) hits.push(i); // 0, 0n, -0 and false are zero; NaN counts
      const strides = stridesOf(x.shape);
      const out = new BigInt64Array(x.rank * hits.length);
      hits.forEach((flat, j) => {
        for (let d = 0; d < x.rank; d++)
          out[d * hits.length + j] = BigInt(Math.floor(flat / strides[d]!) % x.shape[d]!);
      });
      return [new Tensor('int64', [x.rank, hits.length], out)];
    },
    infer: (ctx) => {
      const r = ctx.inputs[0]?.shape?.length;
      return [{ dtype: 'int64', shape: [r ?? ctx.freshDim(), ctx.freshDim()] }];
    },
  },
  {
    op: 'Compress',
    versions: [9, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'input');
      const cond = requireInput(node, inputs, 1, 'condition');
      if (cond.rank !== 1) throw opError(node, `condition has rank ${cond.rank}`, 'a 1-D bool tensor');
      const c = toNumbers(cond);
      const axisAttr = attrIntOpt(node, 'axis');
      const flat = axisAttr === undefined ? new Tensor(x.dtype, [x.size], x.data) : x;
      const axis = axisAttr === undefined ? 0 : normalizeAxis(node, axisAttr, x.rank);
      const n = flat.shape[axis]!;
      const picks: number[] = [];
      c.forEach((v, i) => {
        if (!v) return;
        if (i >= n) throw opError(node, `condition selects index ${i} beyond axis size ${n}`);
        picks.push(i);
      });
      return [gatherSlices(flat, axis, picks)];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      if (!x) return [undefined];
      const axisAttr = attrIntOpt(ctx.node, 'axis');
      // a condition known at compile time (constant or bound) decides the selected length
      const cond = ctx.constants[1];
      const picked = cond ? toNumbers(cond).filter((v) => v).length : ctx.freshDim();
      if (axisAttr === undefined) return [{ dtype: x.dtype, shape: [picked] }];
      if (!x.shape) return [{ dtype: x.dtype }];
      const shape: Dim[] = x.shape.slice();
      shape[normalizeAxis(ctx.node, axisAttr, shape.length)] = picked;
      return [{ dtype: x.dtype, shape }];
    },
  },
  {
    op: 'Unique',
    versions: [11, 21],
    run: (inputs, { node }) => {
      const x0 = requireInput(node, inputs, 0, 'X');
      const axisAttr = attrIntOpt(node, 'axis');
      const sorted = attrInt(node, 'sorted', 1) !== 0;
      // Without axis the input is flattened and each element is a one-element "slice".
      const x = axisAttr === undefined ? new Tensor(x0.dtype, [x0.size], x0.data) : x0;
      const axis = axisAttr === undefined ? 0 : normalizeAxis(node, axisAttr, x.rank);
      const n = x.shape[axis]!;
      const others = x.shape.map((_, i) => i).filter((i) => i !== axis);
      const { bases, offsets } = reduceLayout(x.shape, others);
      const src = x.data as ArrayLike<Elem>;
      const slices = Array.from({ length: n }, (_, i) => Array.from(offsets, (o) => src[bases[i]! + o]!));
      const firstOf = new Map<string, number>();
      const slot: number[] = []; // slice i -> its group (in first-occurrence order)
      const firsts: number[] = [];
      const counts: number[] = [];
      slices.forEach((s, i) => {
        const key = JSON.stringify(s.map((e) => (typeof e === 'string' ? e : String(e))));
        let g = firstOf.get(key);
        if (g === undefined) {
          g = firsts.length;
          firstOf.set(key, g);
          firsts.push(i);
          counts.push(0);
        }
        counts[g]!++;
        slot.push(g);
      });
      let order = firsts.map((_, g) => g);
      if (sorted) {
        order = order.sort((a, b) => {
          const sa = slices[firsts[a]!]!;
          const sb = slices[firsts[b]!]!;
          for (let k = 0; k < sa.length; k++) {
            const c = compareElems(sa[k]!, sb[k]!);
            if (c) return c;
          }
          return 0;
        });
      }
      const rank = new Array<number>(order.length);
      order.forEach((g, r) => (rank[g] = r));
      const u = order.length;
      return [
        gatherSlices(
          x,
          axis,
          order.map((g) => firsts[g]!),
        ),
        int64(
          [u],
          order.map((g) => firsts[g]!),
        ),
        int64(
          [n],
          slot.map((g) => rank[g]!),
        ),
        int64(
          [u],
          order.map((g) => counts[g]!),
        ),
      ];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      const u = ctx.freshDim();
      const axisAttr = attrIntOpt(ctx.node, 'axis');
      let y: Dim[] | undefined;
      let n: Dim = ctx.freshDim();
      if (axisAttr === undefined) {
        y = [u];
        const size = x?.shape?.every((d) => typeof d === 'number')
          ? (x.shape as number[]).reduce((a, b) => a * b, 1)
          : undefined;
        if (size !== undefined) n = size;
      } else if (x?.shape) {
        const a = normalizeAxis(ctx.node, axisAttr, x.shape.length);
        y = x.shape.slice();
        n = y[a]!;
        y[a] = u;
      }
      return [
        x ? { dtype: x.dtype, shape: y } : undefined,
        { dtype: 'int64', shape: [u] },
        { dtype: 'int64', shape: [n] },
        { dtype: 'int64', shape: [u] },
      ];
    },
  },
];
