/** Transpose and the block rearrangements defined through it (DepthToSpace, SpaceToDepth). */
import { KilnError } from '../../../../runtime/errors.js';
import { Tensor, stridesOf } from '../../../../runtime/tensor.js';
import { attrInt, attrIntsOpt, attrString } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { forEachIndex, offsetOf, takeFlat } from './util.js';

/** Permute the axes of `t` viewed with shape `shape` (which must have t.size elements). */
export function permute(t: Tensor, shape: readonly number[], perm: readonly number[]): Tensor {
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const permStrides = perm.map((p) => inStrides[p]!);
  const map = new Int32Array(t.size);
  forEachIndex(outShape, (idx, k) => {
    map[k] = offsetOf(idx, permStrides);
  });
  return takeFlat(t, outShape, map);
}

function checkPerm(node: Node, perm: number[] | undefined, rank: number): number[] {
  if (!perm) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((p, i) => p !== i))
    throw opError(
      node,
      `perm [${perm.join(',')}] is not a permutation of 0..${rank - 1}`,
      'a permutation of the axes',
    );
  return perm;
}

const Transpose: OpDef = {
  op: 'Transpose',
  versions: [1, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'data');
    return [permute(x, x.shape, checkPerm(node, attrIntsOpt(node, 'perm'), x.rank))];
  },
  infer: ({ node, inputs }) => {
    const x = inputs[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype }];
    const perm = checkPerm(node, attrIntsOpt(node, 'perm'), x.shape.length);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape![p]!) }];
  },
};

function blockSize(node: Node): number {
  const b = attrInt(node, 'blocksize');
  if (b < 1) throw opError(node, `blocksize ${b}`, 'blocksize >= 1');
  return b;
}

function require4d(node: Node, x: Tensor): [number, number, number, number] {
  if (x.rank !== 4) throw opError(node, `input has rank ${x.rank}`, 'a 4-D [N,C,H,W] input');
  return x.shape as [number, number, number, number];
}

/** Output dims of a 4-D block op from input dims (symbols kept for N). */
function blockInfer(
  shape: Dim[] | undefined,
  f: (c: number, h: number, w: number) => [number, number, number],
  fresh: () => string,
): Dim[] | undefined {
  if (!shape || shape.length !== 4) return undefined;
  const [n, c, h, w] = shape;
  if (typeof c === 'number' && typeof h === 'number' && typeof w === 'number') {
    const out = f(c, h, w);
    if (!out.every(Number.isInteger))
      throw new KilnError(`dims [${shape.join(',')}] are not divisible by the block`);
    return [n!, ...out];
  }
  return [n!, fresh(), fresh(), fresh()];
}

const DepthToSpace: OpDef = {
  op: 'DepthToSpace',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'input');
    const [n, c, h, w] = require4d(node, x);
    const b = blockSize(node);
    if (c % (b * b) !== 0) throw opError(node, `channels ${c} not divisible by blocksize² ${b * b}`);
    const mode = opset >= 11 ? attrString(node, 'mode', 'DCR') : 'DCR';
    const c2 = c / (b * b);
    let t: Tensor;
    if (mode === 'DCR') t = permute(x, [n, b, b, c2, h, w], [0, 3, 4, 1, 5, 2]);
    else if (mode === 'CRD') t = permute(x, [n, c2, b, b, h, w], [0, 1, 4, 2, 5, 3]);
    else throw opError(node, `unknown mode '${mode}'`, "'DCR' or 'CRD'");
    return [new Tensor(t.dtype, [n, c2, h * b, w * b], t.data)];
  },
  infer: ({ node, inputs, freshDim }) => {
    const x = inputs[0];
    if (!x) return [undefined];
    const b = blockSize(node);
    return [
      { dtype: x.dtype, shape: blockInfer(x.shape, (c, h, w) => [c / (b * b), h * b, w * b], freshDim) },
    ];
  },
};

const SpaceToDepth: OpDef = {
  op: 'SpaceToDepth',
  versions: [1, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'input');
    const [n, c, h, w] = require4d(node, x);
    const b = blockSize(node);
    if (h % b !== 0 || w % b !== 0)
      throw opError(node, `spatial dims ${h}x${w} not divisible by blocksize ${b}`);
    const t = permute(x, [n, c, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4]);
    return [new Tensor(t.dtype, [n, c * b * b, h / b, w / b], t.data)];
  },
  infer: ({ node, inputs, freshDim }) => {
    const x = inputs[0];
    if (!x) return [undefined];
    const b = blockSize(node);
    return [{ dtype: x.dtype, shape: blockInfer(x.shape, (c, h, w) => [c * b * b, h / b, w / b], freshDim) }];
  },
};

export const transposeOps: OpDef[] = [Transpose, DepthToSpace, SpaceToDepth];
