/**
 * SequenceMap (opset 17-22): runs the body once per position of the first input sequence. Sequence
 * inputs give the body their item at that position, tensor inputs are passed whole; each body output
 * becomes an output sequence.
 */
import { Tensor } from '../../../../runtime/tensor.js';
import { attrGraph } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { TensorSequence, type Value } from '../../value.js';
import { opError } from '../common.js';
import { kindOf, seqArg } from './values.js';

export const sequenceMapOp: OpDef = {
  op: 'SequenceMap',
  versions: [17, 22],
  runValues: (inputs, ctx) => {
    const { node } = ctx;
    const body = attrGraph(node, 'body');
    const first = seqArg(node, inputs[0], 'input_sequence');
    const n = first.items.length;
    if (body.inputs.length !== inputs.length)
      throw opError(node, `body has ${body.inputs.length} inputs`, `${inputs.length}`);
    inputs.forEach((v, i) => {
      if (v instanceof TensorSequence && v.items.length !== n) {
        throw opError(
          node,
          `input ${i} has ${v.items.length} items but input_sequence has ${n}`,
          'sequences of equal length',
        );
      }
      if (!(v instanceof TensorSequence) && !(v instanceof Tensor))
        throw opError(node, `input ${i} is ${kindOf(v)}`, 'a sequence or tensor');
    });
    const results: Tensor[][] = body.outputs.map(() => []);
    for (let k = 0; k < n; k++) {
      const feeds = new Map<string, Value>();
      inputs.forEach((v, i) =>
        feeds.set(body.inputs[i]!.name, v instanceof TensorSequence ? v.items[k]! : v!),
      );
      ctx.runSubgraph(body, feeds).forEach((out, j) => {
        if (!(out instanceof Tensor)) throw opError(node, `body output ${j} is ${kindOf(out)}`, 'a tensor');
        results[j]!.push(out);
      });
    }
    return results.map((items, j) => {
      const dtype = items[0]?.dtype ?? body.outputs[j]!.type?.dtype;
      if (!dtype)
        throw opError(
          node,
          `body output ${j} has no declared type and no item was produced`,
          'a typed body output',
        );
      return new TensorSequence(dtype, items);
    });
  },
  infer: (ctx) => {
    const body = attrGraph(ctx.node, 'body');
    // Sequence inputs pass one item (shape unknown); tensor inputs pass through as typed.
    const bodyIn = ctx.inputs.map((t, i) =>
      i === 0 || !t?.shape ? (t ? { dtype: t.dtype } : undefined) : t,
    );
    return ctx.inferSubgraph(body, bodyIn).map((t) => (t ? { dtype: t.dtype } : undefined));
  },
};
