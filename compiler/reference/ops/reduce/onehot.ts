/** OneHot (opset 9; negative indices count from the end from opset 11). */
import { Tensor, allocData, toNumbers } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Dim } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput } from '../common.js';
import { reduceLayout, scalarInput } from './util.js';

export const onehotOps: OpDef[] = [
  {
    op: 'OneHot',
    versions: [9, 21],
    run: (inputs, { node, opset }) => {
      const indices = requireInput(node, inputs, 0, 'indices');
      const depthT = requireInput(node, inputs, 1, 'depth');
      const values = requireInput(node, inputs, 2, 'values');
      if (values.size !== 2)
        throw opError(node, `values has ${values.size} elements`, '[off_value, on_value]');
      if (indices.dtype === 'string' || depthT.dtype === 'string')
        throw opError(node, 'string indices or depth');
      const depth = Math.trunc(scalarInput(node, depthT, 'depth'));
      if (!(depth >= 1)) throw opError(node, `depth ${depth} is not positive`, 'depth >= 1');
      const outRank = indices.rank + 1;
      const axis = normalizeAxis(node, attrInt(node, 'axis', -1), outRank);
      const outShape = indices.shape.slice();
      outShape.splice(axis, 0, depth);
      const v = values.data as ArrayLike<number | bigint | string>;
      const out = allocData(values.dtype, indices.size * depth);
      const o = out as unknown as (number | bigint | string)[];
      for (let i = 0; i < o.length; i++) o[i] = v[0]!;
      // Output index = (indices position with `depth` inserted at axis); walk it with a layout.
      const { bases, offsets } = reduceLayout(outShape, [axis]);
      const idx = toNumbers(indices);
      for (let i = 0; i < idx.length; i++) {
        let k = Math.trunc(idx[i]!);
        if (k < 0 && opset >= 11) k += depth;
        if (k >= 0 && k < depth) o[bases[i]! + offsets[k]!] = v[1]!;
      }
      return [new Tensor(values.dtype, outShape, out)];
    },
    infer: (ctx) => {
      const [ind, , vals] = ctx.inputs;
      if (!vals) return [undefined];
      if (!ind?.shape) return [{ dtype: vals.dtype }];
      const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', -1), ind.shape.length + 1);
      const c = ctx.constants[1];
      const depth: Dim = c && c.size === 1 ? Math.trunc(toNumbers(c)[0]!) : ctx.freshDim();
      const shape = ind.shape.slice();
      shape.splice(axis, 0, depth);
      return [{ dtype: vals.dtype, shape }];
    },
  },
];
