/** HannWindow, HammingWindow, BlackmanWindow (opset 17): cosine-sum windows, periodic or symmetric. */
import { toNumbers } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Dim } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { fromFloat64, outputDType } from './signal-common.js';
import { scalarInput } from './util.js';

/** A cosine-sum window: w[n] = sum_k a_k cos(2 pi k n / N), N = size (periodic) or size - 1 (symmetric). */
function windowOp(op: string, coeffs: number[]): OpDef {
  return {
    op,
    versions: [17, 21],
    run: (inputs, { node }) => {
      const size = scalarInput(node, requireInput(node, inputs, 0, 'size'), 'size');
      if (!Number.isInteger(size) || size < 0)
        throw opError(node, `size ${size} is invalid`, 'a non-negative integer');
      const periodic = attrInt(node, 'periodic', 1) !== 0;
      const N = periodic ? size : size - 1;
      const w = new Float64Array(size);
      for (let n = 0; n < size; n++) {
        // A symmetric window of one sample is [1] (N = 0 would divide by zero).
        if (N === 0) w[n] = 1;
        else w[n] = coeffs.reduce((s, a, k) => s + a * Math.cos((2 * Math.PI * k * n) / N), 0);
      }
      return [fromFloat64(outputDType(node), [size], w)];
    },
    infer: (ctx) => {
      const c = ctx.constants[0];
      const size: Dim = c && c.size === 1 ? toNumbers(c)[0]! : ctx.freshDim();
      return [{ dtype: outputDType(ctx.node), shape: [size] }];
    },
  };
}

export const windowOps: OpDef[] = [
  windowOp('HannWindow', [0.5, -0.5]),
  windowOp('HammingWindow', [25 / 46, -21 / 46]),
  windowOp('BlackmanWindow', [0.42, -0.5, 0.08]),
];
