/**
 * Loop (opset 1-22): body(iteration_num, cond, v...) → (cond, v..., scan...). Runs while the trip count
 * M (if given) is not reached and the condition (if given) holds; scan outputs are stacked on a new
 * axis 0. Loop-carried values may be tensors, sequences (13+) or optionals (16+).
 */
import { Tensor, scalar } from '../../../../runtime/tensor.js';
import { attrGraph } from '../../../ir/attrs.js';
import type { Dim, TypeInfo } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import type { Value } from '../../value.js';
import { opError } from '../common.js';
import { truthOf } from './if.js';
import { asDeclared } from './values.js';
import { emptyTensor, joinTensors } from './stacking.js';
import { stackedType } from './subgraph-types.js';

export const loopOp: OpDef = {
  op: 'Loop',
  versions: [1, 22],
  runValues: (inputs, ctx) => {
    const { node } = ctx;
    const body = attrGraph(node, 'body');
    const carried = inputs.slice(2);
    const nCarried = carried.length;
    if (body.inputs.length !== nCarried + 2) {
      throw opError(
        node,
        `body has ${body.inputs.length} inputs`,
        `${nCarried + 2} (iteration_num, cond, ${nCarried} loop-carried)`,
      );
    }
    if (body.outputs.length < nCarried + 1) {
      throw opError(
        node,
        `body has ${body.outputs.length} outputs`,
        `at least ${nCarried + 1} (cond, ${nCarried} loop-carried)`,
      );
    }
    const nScan = body.outputs.length - 1 - nCarried;
    const M = inputs[0];
    let tripCount = Infinity;
    if (M !== undefined) {
      if (!(M instanceof Tensor) || M.size !== 1 || M.dtype === 'string') {
        throw opError(node, 'trip count M is not a one-element tensor', 'an int64 scalar');
      }
      tripCount = Number(M.data[0]);
    }
    const hasCond = inputs[1] !== undefined;
    let cond = hasCond ? truthOf(node, inputs[1], 'cond') : true;
    let values: (Value | undefined)[] = carried;
    const scans: Tensor[][] = Array.from({ length: nScan }, () => []);
    for (let i = 0; i < tripCount && cond; i++) {
      const feeds = new Map<string, Value>();
      feeds.set(body.inputs[0]!.name, scalar('int64', BigInt(i)));
      feeds.set(body.inputs[1]!.name, scalar('bool', cond));
      values.forEach((v, k) => {
        const formal = body.inputs[k + 2]!;
        if (v !== undefined) feeds.set(formal.name, asDeclared(v, formal));
      });
      const outs = ctx.runSubgraph(body, feeds);
      // Without a cond input the body's cond output is ignored (a plain for loop).
      if (hasCond) cond = truthOf(node, outs[0], 'the body cond output');
      values = outs.slice(1, 1 + nCarried);
      for (let k = 0; k < nScan; k++) {
        const v = outs[1 + nCarried + k];
        if (!(v instanceof Tensor))
          throw opError(node, `scan output ${k} of the body is not a tensor`, 'a tensor');
        scans[k]!.push(v);
      }
    }
    const scanOutputs = scans.map((items, k) => {
      if (items.length) return joinTensors(node, items, 0, true, `iteration value of scan output ${k}`);
      // No iteration ran: an empty tensor, shaped like the body's declared output where that is static.
      const t = body.outputs[1 + nCarried + k]!.type;
      if (!t)
        throw opError(
          node,
          `scan output ${k} is empty and the body does not declare its type`,
          'a typed body output',
        );
      const inner = t.shape && t.shape.every((d) => typeof d === 'number') ? (t.shape as number[]) : [];
      return emptyTensor(t.dtype, [0, ...inner]);
    });
    return [...values, ...scanOutputs];
  },
  infer: (ctx) => {
    const { node } = ctx;
    const body = attrGraph(node, 'body');
    const carried = ctx.inputs.slice(2);
    const bodyIn: (TypeInfo | undefined)[] = [
      { dtype: 'int64', shape: [] },
      { dtype: 'bool', shape: [] },
      ...carried,
    ];
    const outs = ctx.inferSubgraph(body, bodyIn);
    const n = carried.length;
    // Loop-carried values may change shape between iterations: keep only what agrees with the initial value.
    const finals = carried.map((init, k) => {
      const last = outs[1 + k];
      if (!init || !last) return init ?? last;
      if (!init.shape || !last.shape || init.shape.length !== last.shape.length) return { dtype: init.dtype };
      return {
        dtype: init.dtype,
        shape: init.shape.map((d, i) => (d === last.shape![i] ? d : ctx.freshDim())),
      };
    });
    const M = ctx.constants[0];
    // The iteration count is known only for a pure for-loop (no cond input) with a constant M.
    const trips = M && !node.inputs[1] && M.size === 1 ? Number(M.data[0]) : undefined;
    const count: Dim =
      trips !== undefined && Number.isSafeInteger(trips) ? Math.max(0, trips) : ctx.freshDim();
    const scans = outs.slice(1 + n).map((t) => stackedType(t, count));
    return [...finals, ...scans];
  },
};
