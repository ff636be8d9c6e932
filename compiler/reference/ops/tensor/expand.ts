/** Expand (broadcast to a shape) and Tile (repeat along each axis). */
import { Tensor, toNumbers } from '../../../../runtime/tensor.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import {
  broadcastDims,
  broadcastIndexMap,
  broadcastShapes,
  normalizeAxis,
  opError,
  requireInput,
} from '../common.js';
import { constInts, copyData, forEachIndex, intList, stridesOf, takeFlat } from './util.js';

const Expand: OpDef = {
  op: 'Expand',
  versions: [8, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'input');
    const shape = intList(node, requireInput(node, inputs, 1, 'shape'), 'shape');
    if (shape.some((d) => d < 0)) throw opError(node, `negative dim in shape [${shape.join(',')}]`);
    const out = broadcastShapes(node, x.shape, shape);
    const map = broadcastIndexMap(x.shape, out);
    return [map ? takeFlat(x, out, map) : new Tensor(x.dtype, out, copyData(x.data))];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    const shape = constInts(ctx, 1, 'shape');
    if (shape) return [{ dtype: x.dtype, shape: broadcastDims(ctx, x.shape, shape) }];
    const s = ctx.inputs[1]?.shape;
    if (x.shape && s && typeof s[0] === 'number') {
      const rank = Math.max(x.shape.length, s[0]);
      return [{ dtype: x.dtype, shape: Array.from({ length: rank }, () => ctx.freshDim()) }];
    }
    return [{ dtype: x.dtype }];
  },
};

/** Tile-1 repeats one axis: (tiles, axis) scalar inputs; from opset 6 a repeats vector. */
function tile1Reps(node: Node, rank: number, tiles: Tensor, axis: Tensor): number[] {
  if (tiles.size !== 1 || axis.size !== 1)
    throw opError(node, 'tiles and axis must be scalars', 'scalar inputs');
  const reps = new Array<number>(rank).fill(1);
  reps[normalizeAxis(node, toNumbers(axis)[0]!, rank)] = toNumbers(tiles)[0]!;
  return reps;
}

const Tile: OpDef = {
  op: 'Tile',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'input');
    const reps =
      opset < 6
        ? tile1Reps(
            node,
            x.rank,
            requireInput(node, inputs, 1, 'tiles'),
            requireInput(node, inputs, 2, 'axis'),
          )
        : intList(node, requireInput(node, inputs, 1, 'repeats'), 'repeats');
    if (reps.length !== x.rank || reps.some((r) => r < 0))
      throw opError(node, `repeats [${reps.join(',')}] for rank ${x.rank}`, `${x.rank} non-negative repeats`);
    const shape = x.shape.map((d, i) => d * reps[i]!);
    const strides = stridesOf(x.shape);
    const map = new Int32Array(shape.reduce((a, b) => a * b, 1));
    forEachIndex(shape, (idx, k) => {
      let off = 0;
      for (let a = 0; a < idx.length; a++) off += (idx[a]! % x.shape[a]!) * strides[a]!;
      map[k] = off;
    });
    return [takeFlat(x, shape, map)];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype }];
    const [, tiles, axis] = ctx.constants;
    let reps: number[] | undefined;
    if (ctx.opset >= 6) reps = constInts(ctx, 1, 'repeats');
    else if (tiles && axis) reps = tile1Reps(ctx.node, x.shape.length, tiles, axis);
    if (!reps) return [{ dtype: x.dtype, shape: x.shape.map(() => ctx.freshDim()) }];
    if (reps.length !== x.shape.length)
      throw opError(
        ctx.node,
        `${reps.length} repeats for rank ${x.shape.length}`,
        `${x.shape.length} repeats`,
      );
    const shape: Dim[] = x.shape.map((d, i) => {
      const r = reps[i]!;
      if (typeof d === 'number') return d * r;
      return r === 1 ? d : r === 0 ? 0 : ctx.freshDim();
    });
    return [{ dtype: x.dtype, shape }];
  },
};

export const expandOps: OpDef[] = [Expand, Tile];
