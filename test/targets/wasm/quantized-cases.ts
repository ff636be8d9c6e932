import type { Attribute, Model } from '../../../compiler/ir/graph.js';
import type { DType } from '../../../runtime/dtype.js';
import { Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { seededRandom } from '../../helpers/random.js';

/**
 * Cases for the lowerings of the integer and quantized ops (ConvInteger, QLinearConv, MatMulInteger, QLinearMatMul,
 * DynamicQuantizeLinear), MaxPool on 8-bit types and its Indices, ReverseSequence, Upsample and Pad
 * with a fed constant_value, for comparing a target exactly with the reference executor, on
 * shapes and values beyond the conformance data: non-zero and per-channel zero points, negative
 * values, saturation at both ends, ties of round-half-to-even, constant weights (zero point
 * subtracted at compile time) and fed ones.
 */
const t = (dtype: DType, shape: number[], v: number[]) =>
  dtype === 'int64'
    ? new Tensor(dtype, shape, BigInt64Array.from(v.map(BigInt)))
    : tensorFrom(dtype, shape, v);

const RANGE: Partial<Record<DType, [number, number]>> = { uint8: [0, 255], int8: [-128, 127] };

/** Seeded integers covering the type's range, its ends included. */
function q(dtype: DType, shape: number[], seed: number): Tensor {
  const [lo, hi] = RANGE[dtype]!;
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return t(
    dtype,
    shape,
    Array.from({ length: n }, (_, i) => (i === 0 ? lo : i === 1 ? hi : lo + Math.floor(r() * (hi - lo + 1)))),
  );
}

export interface Case {
  name: string;
  op: string;
  /** Inputs in order ('' for an omitted optional one); `constant` ones become initializers. */
  inputs: (string | { name: string; tensor: Tensor; constant?: boolean })[];
  outputs: [string, DType][];
  attrs?: Record<string, Attribute>;
  opset?: number;
}

export function build(c: Case): { make: () => Model; feeds: Map<string, Tensor> } {
  const given = c.inputs.filter((i) => typeof i !== 'string');
  const make = () =>
    model(
      graph({
        inputs: given
          .filter((i) => !i.constant)
          .map((i) => value(i.name, i.tensor.dtype, [...i.tensor.shape])),
        initializers: Object.fromEntries(given.filter((i) => i.constant).map((i) => [i.name, i.tensor])),
        outputs: c.outputs.map(([n, d]) => value(n, d)),
        nodes: [
          node(
            c.op,
            c.inputs.map((i) => (typeof i === 'string' ? i : i.name)),
            c.outputs.map(([n]) => n),
            c.attrs ?? {},
          ),
        ],
      }),
      c.opset ?? 13,
    );
  return { make, feeds: new Map(given.filter((i) => !i.constant).map((i) => [i.name, i.tensor])) };
}

const fed = (name: string, tensor: Tensor) => ({ name, tensor });
const constant = (name: string, tensor: Tensor) => ({ name, tensor, constant: true });
const f32 = (shape: number[], v: number[]) => t('float32', shape, v);

export const CASES: Case[] = [
  {
    name: 'MatMulInteger uint8 × int8 constant, per-row and per-column zero points',
    op: 'MatMulInteger',
    inputs: [
      fed('a', q('uint8', [3, 5], 1)),
      constant('b', q('int8', [5, 4], 2)),
      fed('az', t('uint8', [3], [0, 255, 17])),
      constant('bz', t('int8', [4], [-128, 127, 0, -3])),
    ],
    outputs: [['y', 'int32']],
  },
  {
    name: 'MatMulInteger int8 batched, broadcast B fed, scalar zero points',
    op: 'MatMulInteger',
    inputs: [
      fed('a', q('int8', [2, 3, 5], 3)),
      fed('b', q('int8', [5, 2], 4)),
      fed('az', t('int8', [], [-5])),
      fed('bz', t('int8', [], [7])),
    ],
    outputs: [['y', 'int32']],
  },
  {
    name: 'MatMulInteger without zero points, 1-D A',
    op: 'MatMulInteger',
    inputs: [fed('a', q('uint8', [6], 5)), fed('b', q('uint8', [2, 6, 3], 6))],
    outputs: [['y', 'int32']],
  },
  {
    name: 'QLinearMatMul uint8, constant B, per-column b_scale, saturating both ways',
    op: 'QLinearMatMul',
    inputs: [
      fed('a', q('uint8', [2, 4, 6], 7)),
      fed('as', f32([], [0.02])),
      fed('az', t('uint8', [], [128])),
      constant('b', q('uint8', [6, 3], 8)),
      fed('bs', f32([3], [0.01, 0.003, 0.05])),
      constant('bz', t('uint8', [3], [0, 200, 127])),
      fed('ys', f32([], [0.05])),
      fed('yz', t('uint8', [], [100])),
    ],
    outputs: [['y', 'uint8']],
  },
  {
    name: 'QLinearMatMul int8, per-row a_scale and zero point, fed B',
    op: 'QLinearMatMul',
    inputs: [
      fed('a', q('int8', [3, 4], 9)),
      fed('as', f32([3], [0.1, 0.01, 0.5])),
      fed('az', t('int8', [3], [-1, 0, 5])),
      fed('b', q('int8', [4, 2], 10)),
      fed('bs', f32([], [0.02])),
      fed('bz', t('int8', [], [-128])),
      fed('ys', f32([], [0.75])),
      fed('yz', t('int8', [], [-20])),
    ],
    outputs: [['y', 'int8']],
  },
  {
    name: 'ConvInteger uint8, constant W with per-channel zero points, pads and strides',
    op: 'ConvInteger',
    inputs: [
      fed('x', q('uint8', [1, 3, 6, 5], 11)),
      constant('w', q('uint8', [4, 3, 3, 3], 12)),
      fed('xz', t('uint8', [], [131])),
      constant('wz', t('uint8', [4], [0, 255, 9, 128])),
    ],
    outputs: [['y', 'int32']],
    attrs: { pads: ints([1, 2, 0, 1]), strides: ints([2, 1]) },
  },
  {
    name: 'ConvInteger int8 grouped, fed W, dilations',
    op: 'ConvInteger',
    inputs: [
      fed('x', q('int8', [2, 4, 7, 7], 13)),
      fed('w', q('int8', [6, 2, 2, 3], 14)),
      fed('xz', t('int8', [], [-3])),
      fed('wz', t('int8', [], [4])),
    ],
    outputs: [['y', 'int32']],
    attrs: { group: int(2), dilations: ints([2, 1]), pads: ints([1, 1, 1, 1]) },
  },
  {
    name: 'QLinearConv uint8, per-channel w_scale and w_zero_point, int32 bias, saturating',
    op: 'QLinearConv',
    inputs: [
      fed('x', q('uint8', [1, 2, 5, 5], 15)),
      fed('xs', f32([], [0.05])),
      fed('xz', t('uint8', [], [120])),
      constant('w', q('uint8', [3, 2, 3, 3], 16)),
      fed('ws', f32([3], [0.01, 0.002, 0.03])),
      constant('wz', t('uint8', [3], [128, 0, 255])),
      fed('ys', f32([], [0.2])),
      fed('yz', t('uint8', [], [90])),
      constant('b', t('int32', [3], [1000, -70000, 5])),
    ],
    outputs: [['y', 'uint8']],
    attrs: { pads: ints([1, 1, 1, 1]) },
  },
  {
    name: 'QLinearConv int8 1-D, fed W and scalar parameters, no bias',
    op: 'QLinearConv',
    inputs: [
      fed('x', q('int8', [2, 3, 9], 17)),
      fed('xs', f32([], [0.1])),
      fed('xz', t('int8', [], [10])),
      fed('w', q('int8', [2, 3, 3], 18)),
      fed('ws', f32([], [0.01])),
      fed('wz', t('int8', [], [-2])),
      fed('ys', f32([], [0.3])),
      fed('yz', t('int8', [], [-7])),
    ],
    outputs: [['y', 'int8']],
    attrs: { strides: ints([2]) },
  },
  ...(
    [
      ['mixed signs', [-1.5, 0.25, 3, -0.75, 7.9, 2.5, 0, 1e-3, -3.2, 4.4]],
      ['all positive (min is 0), halves to round to even', [0.25, 0.75, 1.25, 127.5, 63.75, 0.5]],
      ['all negative (max is 0)', [-0.1, -2, -300, -45.5]],
      ['all zero (scale 0)', [0, 0, 0]],
    ] as const
  ).map(([what, v]): Case => ({
    name: `DynamicQuantizeLinear: ${what}`,
    op: 'DynamicQuantizeLinear',
    inputs: [fed('x', f32([v.length], [...v]))],
    outputs: [
      ['y', 'uint8'],
      ['scale', 'float32'],
      ['zp', 'uint8'],
    ],
  })),
  {
    name: 'MaxPool int8 with pads (negative values beside the padding), Indices row-major',
    op: 'MaxPool',
    inputs: [fed('x', q('int8', [2, 2, 5, 4], 19))],
    outputs: [
      ['y', 'int8'],
      ['i', 'int64'],
    ],
    attrs: { kernel_shape: ints([3, 2]), pads: ints([1, 0, 1, 1]), strides: ints([2, 1]) },
  },
  {
    name: 'MaxPool uint8, ceil_mode and dilations',
    op: 'MaxPool',
    inputs: [fed('x', q('uint8', [1, 3, 6, 6], 20))],
    outputs: [['y', 'uint8']],
    attrs: { kernel_shape: ints([2, 2]), dilations: ints([2, 1]), strides: ints([2, 2]), ceil_mode: int(1) },
  },
  {
    name: 'MaxPool float32 Indices column-major, ties take the first element, all-padding-valued windows',
    op: 'MaxPool',
    inputs: [
      fed(
        'x',
        f32(
          [1, 2, 3, 4],
          [1, 1, 2, 2, 3, 0, 3, -1, 5, 5, 5, 5, ...Array.from({ length: 12 }, () => -Infinity)],
        ),
      ),
    ],
    outputs: [
      ['y', 'float32'],
      ['i', 'int64'],
    ],
    attrs: { kernel_shape: ints([2, 2]), pads: ints([1, 1, 0, 0]), storage_order: int(1) },
  },
  {
    name: 'MaxPool 1-D uint8 with Indices',
    op: 'MaxPool',
    inputs: [fed('x', q('uint8', [2, 2, 7], 21))],
    outputs: [
      ['y', 'uint8'],
      ['i', 'int64'],
    ],
    attrs: { kernel_shape: ints([3]), strides: ints([2]), pads: ints([1, 1]) },
  },
  {
    name: 'ReverseSequence time-major, lengths 0, full and partial',
    op: 'ReverseSequence',
    inputs: [
      fed(
        'x',
        t(
          'int32',
          [4, 3, 2],
          Array.from({ length: 24 }, (_, i) => i - 9),
        ),
      ),
      fed('lens', t('int64', [3], [0, 4, 2])),
    ],
    outputs: [['y', 'int32']],
    attrs: { time_axis: int(0), batch_axis: int(1) },
  },
  {
    name: 'ReverseSequence batch-major float32',
    op: 'ReverseSequence',
    inputs: [fed('x', f32([2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), fed('lens', t('int64', [2], [3, 1]))],
    outputs: [['y', 'float32']],
    attrs: { time_axis: int(1), batch_axis: int(0) },
  },
  {
    name: 'Upsample-7 nearest with attribute scales',
    op: 'Upsample',
    inputs: [fed('x', f32([1, 2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))],
    outputs: [['y', 'float32']],
    attrs: { scales: { type: 'floats', value: [1, 1, 2, 1.5] } },
    opset: 7,
  },
  {
    name: 'Upsample-9 linear with constant scales',
    op: 'Upsample',
    inputs: [fed('x', f32([1, 1, 2, 3], [1, -2, 3, 4, 5, -6])), constant('scales', f32([4], [1, 1, 3, 2]))],
    outputs: [['y', 'float32']],
    attrs: { mode: { type: 'string', value: 'linear' } },
    opset: 9,
  },
  {
    name: 'Pad with a fed constant_value (int32, negative pads crop)',
    op: 'Pad',
    inputs: [
      fed('x', t('int32', [2, 3], [1, 2, 3, 4, 5, 6])),
      constant('pads', t('int64', [4], [1, -1, 0, 2])),
      fed('v', t('int32', [], [-7])),
    ],
    outputs: [['y', 'int32']],
  },
  {
    name: 'Pad float32 with a fed constant_value and axes',
    op: 'Pad',
    inputs: [
      fed('x', f32([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])),
      constant('pads', t('int64', [2], [2, 1])),
      fed('v', f32([], [0.5])),
      constant('axes', t('int64', [1], [-1])),
    ],
    outputs: [['y', 'float32']],
    opset: 18,
  },
];
