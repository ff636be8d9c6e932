/** CumSum (opset 11+): running sum along an axis, optionally exclusive and/or reversed. */
import { isBigIntDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput, sameAsInput } from '../common.js';
import { reduceLayout, scalarInput } from './util.js';

export const cumsumOps: OpDef[] = [
  {
    op: 'CumSum',
    versions: [11, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'x');
      if (x.dtype === 'string' || x.dtype === 'bool')
        throw opError(node, `input dtype ${x.dtype} is not supported`, 'a numeric tensor');
      const axisT = requireInput(node, inputs, 1, 'axis');
      if (axisT.dtype !== 'int32' && axisT.dtype !== 'int64')
        throw opError(node, `axis has dtype ${axisT.dtype}`, 'int32 or int64');
      const axis = normalizeAxis(node, scalarInput(node, axisT, 'axis'), x.rank);
      const exclusive = attrInt(node, 'exclusive', 0) !== 0;
      const reverse = attrInt(node, 'reverse', 0) !== 0;
      const { bases, offsets } = reduceLayout(x.shape, [axis]);
      const n = offsets.length;
      const out = allocData(x.dtype, x.size);
      const big = isBigIntDType(x.dtype);
      const src = x.data as ArrayLike<number | bigint>;
      const o = out as unknown as (number | bigint)[];
      for (const b of bases) {
        let acc: number | bigint = big ? 0n : 0;
        for (let step = 0; step < n; step++) {
          const at = b + offsets[reverse ? n - 1 - step : step]!;
          const v = src[at]!;
          if (exclusive) {
            o[at] = acc;
            acc = big ? (acc as bigint) + (v as bigint) : (acc as number) + (v as number);
          } else {
            acc = big ? (acc as bigint) + (v as bigint) : (acc as number) + (v as number);
            o[at] = acc;
          }
        }
      }
      return [new Tensor(x.dtype, x.shape, out)];
    },
    infer: sameAsInput(0),
  },
];
