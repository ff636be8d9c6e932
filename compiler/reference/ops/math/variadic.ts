/**
 * Variadic elementwise ops with multidirectional broadcasting: Sum, Mean, Max, Min. Before opset 8
 * the inputs had to share one shape; broadcasting them anyway is a compatible superset.
 */
import type { DType } from '../../../../runtime/dtype.js';
import type { Tensor } from '../../../../runtime/tensor.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { broadcastDims, opError } from '../common.js';
import {
  FLOATS,
  NUMERIC,
  checkDType,
  checkSameDType,
  copyTensor,
  inferDTypes,
  mapN,
  type Scalar,
} from './util.js';

function presentInputs(op: string, inputs: (Tensor | undefined)[], node: Node): Tensor[] {
  const ts = inputs.filter((t): t is Tensor => t !== undefined);
  if (ts.length === 0) throw opError(node, `${op} needs at least one input`, '1 or more inputs');
  return ts;
}

function variadic(op: string, types: readonly DType[], combine: (xs: Scalar[]) => Scalar): OpDef {
  return {
    op,
    versions: [1, 21],
    run: (inputs, { node }) => {
      const ts = presentInputs(op, inputs, node);
      for (const t of ts) checkDType(node, t.dtype, types, 'input');
      checkSameDType(
        node,
        ts.map((t) => t.dtype),
      );
      if (ts.length === 1) return [copyTensor(ts[0]!)];
      return [mapN(node, ts, ts[0]!.dtype, (...xs) => combine(xs))];
    },
    infer: (ctx) => {
      const dtype = inferDTypes(ctx.node, ctx.inputs, types);
      if (dtype === undefined) return [undefined];
      return [{ dtype, shape: broadcastDims(ctx, ...ctx.inputs.map((t) => t?.shape)) }];
    },
  };
}

/** Sums in float64 (integers never reach these ops: Sum and Mean are float-only). */
function sum(xs: Scalar[]): number {
  let s = 0;
  for (const x of xs) s += x as number;
  return s;
}

/** Max/Min propagate NaN, like numpy's maximum/minimum that the ONNX reference uses. */
function extreme(pickFirst: (a: Scalar, b: Scalar) => boolean) {
  return (xs: Scalar[]): Scalar => {
    let m = xs[0]!;
    for (let i = 1; i < xs.length; i++) {
      const x = xs[i]!;
      if (Number.isNaN(m)) return m;
      if (Number.isNaN(x) || !pickFirst(m, x)) m = x;
    }
    return m;
  };
}

export const variadicOps: OpDef[] = [
  variadic('Sum', FLOATS, sum),
  variadic('Mean', FLOATS, (xs) => sum(xs) / xs.length),
  variadic(
    'Max',
    NUMERIC,
    extreme((a, b) => a >= b),
  ),
  variadic(
    'Min',
    NUMERIC,
    extreme((a, b) => a <= b),
  ),
];
