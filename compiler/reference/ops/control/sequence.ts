/** Sequence construction and element access (opset 11-22). */
import { dtypeFromOnnx } from '../../../../runtime/dtype.js';
import { scalar } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { InferContext, OpDef } from '../../op.js';
import { TensorSequence } from '../../value.js';
import { opError } from '../common.js';
import { positionArg, seqArg, tensorArg } from './values.js';

/**
 * Inference describes a sequence by its element type: `{dtype}` of the elements, shape unknown,
 * since elements may differ in shape.
 */
const elementTypeOfInput = (i: number) => (ctx: InferContext) => [
  ctx.inputs[i] ? { dtype: ctx.inputs[i]!.dtype } : undefined,
];

/** Resolve a possibly negative position against a sequence of `n` items; `n + 1` slots when inserting. */
function resolvePosition(node: Node, pos: number, n: number, inserting: boolean): number {
  const hi = inserting ? n : n - 1;
  const p = pos < 0 ? pos + n : pos;
  if (p < 0 || p > hi)
    throw opError(node, `position ${pos} is out of range for a sequence of ${n} items`, `-${n}..${hi}`);
  return p;
}

export const sequenceOps: OpDef[] = [
  {
    op: 'SequenceEmpty',
    versions: [11, 22],
    runValues: (_inputs, { node }) => {
      const code = attrInt(node, 'dtype', 1);
      const dtype = dtypeFromOnnx(code);
      if (!dtype) throw opError(node, `dtype ${code} is not a known tensor type`, 'a TensorProto data type');
      return [new TensorSequence(dtype, [])];
    },
    infer: (ctx) => [{ dtype: dtypeFromOnnx(attrInt(ctx.node, 'dtype', 1)) ?? 'float32' }],
  },
  {
    op: 'SequenceConstruct',
    versions: [11, 22],
    runValues: (inputs, { node }) => {
      const items = inputs.map((v, i) => tensorArg(node, v, `input ${i}`));
      if (!items.length) throw opError(node, 'no inputs', 'at least one tensor');
      for (const [i, t] of items.entries()) {
        if (t.dtype !== items[0]!.dtype) throw opError(node, `input ${i} is ${t.dtype}`, items[0]!.dtype);
      }
      return [new TensorSequence(items[0]!.dtype, items)];
    },
    infer: elementTypeOfInput(0),
  },
  {
    op: 'SequenceAt',
    versions: [11, 22],
    runValues: (inputs, { node }) => {
      const seq = seqArg(node, inputs[0], 'input_sequence');
      const p = resolvePosition(node, positionArg(node, inputs[1], 'position'), seq.items.length, false);
      return [seq.items[p]!];
    },
    infer: elementTypeOfInput(0),
  },
  {
    op: 'SequenceInsert',
    versions: [11, 22],
    runValues: (inputs, { node }) => {
      const seq = seqArg(node, inputs[0], 'input_sequence');
      const t = tensorArg(node, inputs[1], 'tensor');
      if (t.dtype !== seq.dtype)
        throw opError(node, `tensor is ${t.dtype} but the sequence holds ${seq.dtype}`, seq.dtype);
      const n = seq.items.length;
      const p =
        inputs[2] === undefined
          ? n
          : resolvePosition(node, positionArg(node, inputs[2], 'position'), n, true);
      const items = [...seq.items];
      items.splice(p, 0, t);
      return [new TensorSequence(seq.dtype, items)];
    },
    infer: elementTypeOfInput(0),
  },
  {
    op: 'SequenceErase',
    versions: [11, 22],
    runValues: (inputs, { node }) => {
      const seq = seqArg(node, inputs[0], 'input_sequence');
      const n = seq.items.length;
      const pos = inputs[1] === undefined ? -1 : positionArg(node, inputs[1], 'position');
      const p = resolvePosition(node, pos, n, false);
      const items = [...seq.items];
      items.splice(p, 1);
      return [new TensorSequence(seq.dtype, items)];
    },
    infer: elementTypeOfInput(0),
  },
  {
    op: 'SequenceLength',
    versions: [11, 22],
    runValues: (inputs, { node }) => [
      scalar('int64', BigInt(seqArg(node, inputs[0], 'input_sequence').items.length)),
    ],
    infer: () => [{ dtype: 'int64', shape: [] }],
  },
];
