/** Constant, ConstantOfShape, Identity, Shape and Size: ops that produce values or metadata, not new data. */
import { Tensor, allocData, scalar, tensorFrom } from '../../../../runtime/tensor.js';
import type { Node, TypeInfo } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { OptionalValue, TensorSequence } from '../../value.js';
import { opError, requireInput, sameAsInput } from '../common.js';
import { constInts, copyData, intList } from './util.js';

const CONSTANT_ATTRS = [
  'value',
  'sparse_value',
  'value_float',
  'value_floats',
  'value_int',
  'value_ints',
  'value_string',
  'value_strings',
];

/** The tensor a Constant node stands for; exactly one value attribute must be set. */
function constantValue(node: Node): Tensor {
  const set = CONSTANT_ATTRS.filter((k) => node.attrs[k] !== undefined);
  if (set.length !== 1)
    throw opError(
      node,
      set.length ? `has several value attributes (${set.join(', ')})` : 'has no value attribute',
      `exactly one of ${CONSTANT_ATTRS.join(', ')}`,
    );
  const a = node.attrs[set[0]!]!;
  switch (a.type) {
    case 'tensor':
    case 'sparse_tensor':
      return a.value;
    case 'float':
      return scalar('float32', a.value);
    case 'floats':
      return tensorFrom('float32', [a.value.length], a.value);
    case 'int':
      return scalar('int64', BigInt(a.value));
    case 'ints':
      return tensorFrom(
        'int64',
        [a.value.length],
        a.value.map((v) => BigInt(v)),
      );
    case 'string':
      return new Tensor('string', [], [a.value]);
    case 'strings':
      return new Tensor('string', [a.value.length], a.value.slice());
    default:
      throw opError(node, `attribute '${set[0]}' has type ${a.type}`, 'the type its name implies');
  }
}

const Constant: OpDef = {
  op: 'Constant',
  versions: [1, 21],
  run: (_inputs, { node }) => {
    const t = constantValue(node);
    return [new Tensor(t.dtype, t.shape, copyData(t.data))];
  },
  infer: ({ node }) => {
    const t = constantValue(node);
    return [{ dtype: t.dtype, shape: [...t.shape] }];
  },
};

function fillValue(node: Node): Tensor {
  const a = node.attrs['value'];
  if (!a) return scalar('float32', 0);
  if (a.type !== 'tensor') throw opError(node, `attribute 'value' has type ${a.type}`, 'tensor');
  if (a.value.size !== 1) throw opError(node, `'value' has ${a.value.size} elements`, 'a one-element tensor');
  return a.value;
}

const ConstantOfShape: OpDef = {
  op: 'ConstantOfShape',
  versions: [9, 21],
  run: (inputs, { node }) => {
    const shape = intList(node, requireInput(node, inputs, 0, 'input'), 'shape');
    if (shape.some((d) => d < 0 || !Number.isSafeInteger(d)))
      throw opError(node, `invalid shape [${shape.join(',')}]`, 'non-negative dims');
    const v = fillValue(node);
    const n = shape.reduce((a, b) => a * b, 1);
    const data = allocData(v.dtype, n);
    (data as unknown as { fill(x: unknown): void }).fill(v.data[0]);
    return [new Tensor(v.dtype, shape, data)];
  },
  infer: (ctx) => {
    const dtype = fillValue(ctx.node).dtype;
    const known = constInts(ctx, 0, 'shape');
    if (known) return [{ dtype, shape: known }];
    const s = ctx.inputs[0]?.shape;
    if (s && s.length === 1 && typeof s[0] === 'number')
      return [{ dtype, shape: Array.from({ length: s[0] }, () => ctx.freshDim()) }];
    return [{ dtype }];
  },
};

const Identity: OpDef = {
  op: 'Identity',
  versions: [1, 21],
  runValues: (inputs, { node }) => {
    const v = inputs[0];
    if (v === undefined) throw opError(node, 'missing required input 0 (input)');
    if (v instanceof Tensor) return [new Tensor(v.dtype, v.shape, copyData(v.data))];
    if (v instanceof TensorSequence) return [new TensorSequence(v.dtype, v.items.slice())];
    if (v instanceof OptionalValue) return [new OptionalValue(v.value, v.elemDtype)];
    return [v];
  },
  infer: sameAsInput(0),
};

/** Shape's [start, end) window (opset 15), clamped like Python slicing. */
function shapeWindow(opset: number, node: Node, rank: number) {
  if (opset < 15) return [0, rank] as const;
  const attr = (k: string, d: number) => {
    const a = node.attrs[k];
    if (!a) return d;
    if (a.type !== 'int') throw opError(node, `attribute '${k}' has type ${a.type}`, 'int');
    return a.value;
  };
  const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  return [clamp(attr('start', 0)), clamp(attr('end', rank))] as const;
}

const Shape: OpDef = {
  op: 'Shape',
  versions: [1, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'data');
    const [s, e] = shapeWindow(opset, node, x.rank);
    const dims = x.shape.slice(s, Math.max(s, e));
    return [tensorFrom('int64', [dims.length], dims)];
  },
  infer: (ctx): (TypeInfo | undefined)[] => {
    const shape = ctx.inputs[0]?.shape;
    if (!shape) return [{ dtype: 'int64', shape: [ctx.freshDim()] }];
    const [s, e] = shapeWindow(ctx.opset, ctx.node, shape.length);
    return [{ dtype: 'int64', shape: [Math.max(0, e - s)] }];
  },
};

const Size: OpDef = {
  op: 'Size',
  versions: [1, 21],
  run: (inputs, { node }) => [scalar('int64', BigInt(requireInput(node, inputs, 0, 'data').size))],
  infer: () => [{ dtype: 'int64', shape: [] }],
};

export const constantOps: OpDef[] = [Constant, ConstantOfShape, Identity, Shape, Size];
