/** TopK: the k largest (or smallest) entries along an axis, with their int64 indices. */
import { Tensor, allocData } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Dim } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { reduceLayout, scalarInput } from './util.js';

type Num = number | bigint;

/** Order for "largest first": NaN counts as the largest value (as numpy's sort puts it last). */
function descending(a: Num, b: Num): number {
  const an = typeof a === 'number' && Number.isNaN(a);
  const bn = typeof b === 'number' && Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? -1 : 1;
  return a > b ? -1 : a < b ? 1 : 0;
}

export const topkOps: OpDef[] = [
  {
    op: 'TopK',
    versions: [1, 21],
    run: (inputs, { node, opset }) => {
      const x = requireInput(node, inputs, 0, 'X');
      if (x.dtype === 'string' || x.dtype === 'bool')
        throw opError(node, `input dtype ${x.dtype} is not supported`, 'a numeric tensor');
      const k = opset >= 10 ? scalarInput(node, requireInput(node, inputs, 1, 'K'), 'K') : attrInt(node, 'k');
      const axis = normalizeAxis(node, attrInt(node, 'axis', -1), x.rank);
      // largest/sorted exist from opset 11; before that TopK is always largest, sorted.
      const largest = opset < 11 || attrInt(node, 'largest', 1) !== 0;
      const n = x.shape[axis]!;
      if (!Number.isInteger(k) || k < 0 || k > n)
        throw opError(node, `k = ${k} is out of range for axis ${axis} of size ${n}`, `0..${n}`);
      const outShape = x.shape.slice();
      outShape[axis] = k;
      const inL = reduceLayout(x.shape, [axis]);
      const outL = reduceLayout(outShape, [axis]);
      const src = x.data as ArrayLike<Num>;
      const values = allocData(x.dtype, outL.bases.length * k);
      const vo = values as unknown as Num[];
      const indices = new BigInt64Array(values.length);
      const order = new Array<number>(n);
      for (let g = 0; g < inL.bases.length; g++) {
        const b = inL.bases[g]!;
        for (let i = 0; i < n; i++) order[i] = i;
        const at = (i: number) => src[b + inL.offsets[i]!]!;
        // Equal values keep the lower index first (Array.prototype.sort is stable, but be explicit).
        order.sort((i, j) => (largest ? descending(at(i), at(j)) : -descending(at(i), at(j))) || i - j);
        const ob = outL.bases[g]!;
        for (let j = 0; j < k; j++) {
          const o = ob + outL.offsets[j]!;
          vo[o] = at(order[j]!);
          indices[o] = BigInt(order[j]!);
        }
      }
      return [new Tensor(x.dtype, outShape, values), new Tensor('int64', outShape, indices)];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      if (!x?.shape) return x ? [{ dtype: x.dtype }, { dtype: 'int64' }] : [undefined, { dtype: 'int64' }];
      const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', -1), x.shape.length);
      let k: Dim = ctx.freshDim();
      if (ctx.opset < 10) k = attrInt(ctx.node, 'k');
      else if (ctx.constants[1]?.size === 1) k = Number((ctx.constants[1].data as ArrayLike<Num>)[0]);
      const shape = x.shape.slice();
      shape[axis] = k;
      return [
        { dtype: x.dtype, shape },
        { dtype: 'int64', shape: shape.slice() },
      ];
    },
  },
];
