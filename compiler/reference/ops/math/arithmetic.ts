import type { OpDef } from '../../op.js';
import { broadcastDims, mapBroadcast, requireInput } from '../common.js';

type Num = number | bigint;

/** Binary arithmetic with numpy broadcasting (opset 7+; opset 1-6 `broadcast` attribute forms are not covered). */
function arithmetic(
  op: string,
  f: (a: number, b: number) => number,
  fb: (a: bigint, b: bigint) => bigint,
): OpDef {
  return {
    op,
    versions: [7, 21],
    run: (inputs, { node }) => {
      const a = requireInput(node, inputs, 0, 'A');
      const b = requireInput(node, inputs, 1, 'B');
      const big = typeof a.data[0] === 'bigint' || a.dtype === 'int64' || a.dtype === 'uint64';
      const fn = big
        ? (x: Num, y: Num) => fb(x as bigint, y as bigint)
        : (x: Num, y: Num) => f(x as number, y as number);
      return [mapBroadcast(node, [a, b], a.dtype, fn)];
    },
    infer: (ctx) => {
      const [a, b] = ctx.inputs;
      if (!a) return [undefined];
      return [{ dtype: a.dtype, shape: broadcastDims(ctx, a.shape, b?.shape) }];
    },
  };
}

export const arithmeticOps: OpDef[] = [
  arithmetic(
    'Add',
    (a, b) => a + b,
    (a, b) => a + b,
  ),
];
