/** ArgMax/ArgMin: int64 index of the extreme along one axis (select_last_index from opset 12). */
import { Tensor } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Dim } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { reduceLayout } from './util.js';

type Cmp = (a: number | bigint, b: number | bigint) => boolean;

function argOp(op: string, better: Cmp): OpDef {
  return {
    op,
    versions: [1, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'data');
      if (x.dtype === 'string' || x.dtype === 'bool')
        throw opError(node, `input dtype ${x.dtype} is not supported`, 'a numeric tensor');
      const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.rank);
      const keep = attrInt(node, 'keepdims', 1) !== 0;
      const last = attrInt(node, 'select_last_index', 0) !== 0;
      const n = x.shape[axis]!;
      const layout = reduceLayout(x.shape, [axis]);
      const nOut = layout.bases.length;
      if (n === 0 && nOut > 0) throw opError(node, `cannot take ${op} over an empty axis ${axis}`);
      const src = x.data as ArrayLike<number | bigint>;
      const out = new BigInt64Array(nOut);
      for (let k = 0; k < nOut; k++) {
        const b = layout.bases[k]!;
        let best = 0;
        let bv = src[b]!;
        for (let i = 1; i < n; i++) {
          const v = src[b + layout.offsets[i]!]!;
          // NaN wins (first NaN, as numpy); ties go to the first or, with select_last_index, the last.
          if (typeof bv === 'number' && Number.isNaN(bv)) break;
          if ((typeof v === 'number' && Number.isNaN(v)) || better(v, bv) || (last && v === bv)) {
            best = i;
            bv = v;
          }
        }
        out[k] = BigInt(best);
      }
      return [new Tensor('int64', keep ? layout.keptShape : layout.droppedShape, out)];
    },
    infer: (ctx) => {
      const x = ctx.inputs[0];
      if (!x?.shape) return [{ dtype: 'int64' }];
      const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 0), x.shape.length);
      const keep = attrInt(ctx.node, 'keepdims', 1) !== 0;
      const shape: Dim[] = [];
      x.shape.forEach((d, i) => {
        if (i !== axis) shape.push(d);
        else if (keep) shape.push(1);
      });
      return [{ dtype: 'int64', shape }];
    },
  };
}

export const argOps: OpDef[] = [argOp('ArgMax', (a, b) => a > b), argOp('ArgMin', (a, b) => a < b)];
