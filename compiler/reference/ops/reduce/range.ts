/** Range (opset 11+): start, start + delta, ... up to (not including) limit. */
import { isBigIntDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData } from '../../../../runtime/tensor.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';

const RANGE_TYPES = new Set(['float32', 'float64', 'int16', 'int32', 'int64']);

export const rangeOps: OpDef[] = [
  {
    op: 'Range',
    versions: [11, 21],
    run: (inputs, { node }) => {
      const ts = [0, 1, 2].map((i) => requireInput(node, inputs, i, ['start', 'limit', 'delta'][i]!));
      const dtype = ts[0]!.dtype;
      if (!RANGE_TYPES.has(dtype))
        throw opError(node, `dtype ${dtype} is not supported`, [...RANGE_TYPES].join(', '));
      for (const t of ts) {
        if (t.dtype !== dtype) throw opError(node, `inputs mix dtypes ${dtype} and ${t.dtype}`, 'one dtype');
        if (t.size !== 1) throw opError(node, `inputs must be scalars, got shape [${t.shape.join(',')}]`);
      }
      const [start, limit, delta] = ts.map((t) => (t.data as ArrayLike<number | bigint>)[0]!);
      if (isBigIntDType(dtype)) {
        const s = start as bigint;
        const l = limit as bigint;
        const d = delta as bigint;
        if (d === 0n) throw opError(node, 'delta is zero', 'a non-zero delta');
        // ceil((l - s) / d) with exact integer arithmetic.
        const num = l - s;
        let n = num / d;
        if (n * d !== num && num > 0n === d > 0n) n += 1n;
        const count = n > 0n ? Number(n) : 0;
        const out = allocData(dtype, count) as BigInt64Array;
        for (let i = 0; i < count; i++) out[i] = s + BigInt(i) * d;
        return [new Tensor(dtype, [count], out)];
      }
      const s = start as number;
      const d = delta as number;
      if (d === 0) throw opError(node, 'delta is zero', 'a non-zero delta');
      const count = Math.max(Math.ceil(((limit as number) - s) / d), 0);
      if (!Number.isFinite(count)) throw opError(node, 'the number of elements is not finite');
      const out = allocData(dtype, count) as Float64Array;
      for (let i = 0; i < count; i++) out[i] = s + i * d;
      return [new Tensor(dtype, [count], out)];
    },
    infer: (ctx) => {
      const t = ctx.inputs[0];
      if (!t) return [undefined];
      const cs = ctx.constants;
      if (cs[0] && cs[1] && cs[2] && cs.slice(0, 3).every((c) => c!.size === 1)) {
        const [s, l, d] = cs.slice(0, 3).map((c) => Number((c!.data as ArrayLike<number | bigint>)[0]));
        if (d !== 0) return [{ dtype: t.dtype, shape: [Math.max(Math.ceil((l! - s!) / d!), 0)] }];
      }
      return [{ dtype: t.dtype, shape: [ctx.freshDim()] }];
    },
  },
];
