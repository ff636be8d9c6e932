/** SplitToSequence and ConcatFromSequence (opset 11-22). */
import { toNumbers } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { TensorSequence } from '../../value.js';
import { normalizeAxis, opError } from '../common.js';
import { joinTensors, sliceAt, sliceRange } from './stacking.js';
import { seqArg, tensorArg } from './values.js';

export const sequenceSplitOps: OpDef[] = [
  {
    op: 'SplitToSequence',
    versions: [11, 22],
    runValues: (inputs, { node }) => {
      const x = tensorArg(node, inputs[0], 'input');
      const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.rank);
      const dim = x.shape[axis]!;
      if (inputs[1] === undefined) {
        // No split: one item per index on the axis, which keepdims=0 removes.
        const keep = attrInt(node, 'keepdims', 1) !== 0;
        const items = Array.from({ length: dim }, (_, i) =>
          keep ? sliceRange(x, axis, i, 1) : sliceAt(x, axis, i),
        );
        return [new TensorSequence(x.dtype, items)];
      }
      const split = tensorArg(node, inputs[1], 'split');
      if (split.dtype !== 'int32' && split.dtype !== 'int64')
        throw opError(node, `split is ${split.dtype}`, 'int32 or int64');
      let lengths: number[];
      if (split.rank === 0) {
        const size = toNumbers(split)[0]!;
        if (size <= 0) throw opError(node, `split size ${size}`, 'a positive chunk size');
        lengths = [];
        for (let s = 0; s < dim; s += size) lengths.push(Math.min(size, dim - s));
      } else if (split.rank === 1) {
        lengths = toNumbers(split);
        const total = lengths.reduce((a, b) => a + b, 0);
        if (lengths.some((l) => l < 0) || total !== dim) {
          throw opError(
            node,
            `split [${lengths.join(',')}] does not cover dim ${dim}`,
            `non-negative lengths summing to ${dim}`,
          );
        }
      } else throw opError(node, `split has rank ${split.rank}`, 'a scalar or 1-D tensor');
      let start = 0;
      const items = lengths.map((l) => {
        const t = sliceRange(x, axis, start, l);
        start += l;
        return t;
      });
      return [new TensorSequence(x.dtype, items)];
    },
    infer: (ctx) => [ctx.inputs[0] ? { dtype: ctx.inputs[0].dtype } : undefined],
  },
  {
    op: 'ConcatFromSequence',
    versions: [11, 22],
    runValues: (inputs, { node }) => {
      const seq = seqArg(node, inputs[0], 'input_sequence');
      const newAxis = attrInt(node, 'new_axis', 0) !== 0;
      const first = seq.items[0];
      if (!first) throw opError(node, 'input_sequence is empty', 'at least one tensor');
      const axis = normalizeAxis(node, attrInt(node, 'axis'), first.rank + (newAxis ? 1 : 0));
      return [joinTensors(node, seq.items, axis, newAxis, 'sequence item')];
    },
    infer: (ctx) => {
      const t = ctx.inputs[0];
      return [t ? { dtype: t.dtype } : undefined];
    },
  },
];
