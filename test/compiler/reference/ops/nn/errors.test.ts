/** Bad inputs and attributes end in a KilnError that names the node, never a TypeError or NaN output. */
import { describe, expect, it } from 'vitest';
import type { Attribute } from '../../../../../compiler/ir/graph.js';
import { KilnError } from '../../../../../runtime/errors.js';
import { Tensor } from '../../../../../runtime/tensor.js';
import { f32, float, int, ints, rand, run, str, t } from './helpers.js';

const x4 = f32([1, 2, 4, 4], rand(32));
const w4 = f32([3, 2, 3, 3], rand(54));

const cases: [string, string, (Tensor | undefined)[], Record<string, Attribute>, number?][] = [
  ['Conv without spatial axes', 'Conv', [f32([2, 3], rand(6)), f32([2, 3], rand(6))], {}],
  ['Conv with zero stride', 'Conv', [x4, w4], { strides: ints([0, 1]) }],
  ['Conv with negative pads', 'Conv', [x4, w4], { pads: ints([-1, 0, 0, 0]) }],
  ['Conv with pads of the wrong length', 'Conv', [x4, w4], { pads: ints([1, 1]) }],
  ['Conv with a kernel_shape unlike W', 'Conv', [x4, w4], { kernel_shape: ints([2, 2]) }],
  ['Conv with a bad group', 'Conv', [x4, w4], { group: int(3) }],
  ['Conv with a wrong bias', 'Conv', [x4, w4, f32([2], [1, 2])], {}],
  ['Conv with an unknown auto_pad', 'Conv', [x4, w4], { auto_pad: str('SAME') }],
  ['Conv on integers', 'Conv', [t('int32', [1, 1, 2, 2], [1, 2, 3, 4]), t('int32', [1, 1, 1, 1], [1])], {}],
  ['Conv with a float64 W for float32 X', 'Conv', [x4, t('float64', [3, 2, 3, 3], rand(54))], {}],
  ['Conv missing W', 'Conv', [x4, undefined], {}],
  ['MaxPool window larger than the input', 'MaxPool', [x4], { kernel_shape: ints([5, 5]) }],
  ['MaxPool on int32', 'MaxPool', [t('int32', [1, 1, 2, 2], [1, 2, 3, 4])], { kernel_shape: ints([1, 1]) }],
  ['AveragePool without kernel_shape', 'AveragePool', [x4], {}],
  ['GlobalAveragePool on a matrix', 'GlobalAveragePool', [f32([2, 2], [1, 2, 3, 4])], {}],
  ['Gemm with a 1-D operand', 'Gemm', [f32([3], [1, 2, 3]), f32([3, 1], [1, 2, 3])], {}],
  [
    'Gemm with a C that does not broadcast',
    'Gemm',
    [f32([2, 2], rand(4)), f32([2, 2], rand(4)), f32([3], rand(3))],
    {},
  ],
  ['MatMul of scalars', 'MatMul', [f32([], [1]), f32([], [2])], {}],
  ['MatMul of mixed types', 'MatMul', [f32([1, 1], [1]), t('int32', [1, 1], [1])], {}],
  [
    'BatchNormalization with a short scale',
    'BatchNormalization',
    [x4, f32([1], [1]), f32([2], [0, 0]), f32([2], [0, 0]), f32([2], [1, 1])],
    {},
  ],
  [
    'BatchNormalization running outputs outside training mode',
    'BatchNormalization',
    [x4, f32([2], [1, 1]), f32([2], [0, 0]), f32([2], [0, 0]), f32([2], [1, 1])],
    {},
    15,
  ],
  [
    'LayerNormalization axis out of range',
    'LayerNormalization',
    [x4, f32([4], rand(4))],
    { axis: int(4) },
    17,
  ],
  ['LayerNormalization Scale that does not broadcast', 'LayerNormalization', [x4, f32([3], rand(3))], {}, 17],
  [
    'GroupNormalization with groups not dividing C',
    'GroupNormalization',
    [x4, f32([2], [1, 1]), f32([2], [0, 0])],
    { num_groups: int(3) },
    21,
  ],
  [
    'InstanceNormalization on a matrix',
    'InstanceNormalization',
    [f32([2, 2], rand(4)), f32([2], [1, 1]), f32([2], [0, 0])],
    {},
  ],
  ['LRN with size 0', 'LRN', [x4], { size: int(0) }],
  ['LRN without size', 'LRN', [x4], {}],
  ['Dropout ratio 1', 'Dropout', [x4, f32([], [1]), t('bool', [], [1])], {}, 13],
  ['Dropout training_mode not bool', 'Dropout', [x4, f32([], [0.5]), f32([], [1])], {}, 13],
  [
    'QuantizeLinear to an unstorable type',
    'QuantizeLinear',
    [x4, f32([], [1])],
    { output_dtype: int(17) },
    21,
  ],
  ['QuantizeLinear of strings', 'QuantizeLinear', [new Tensor('string', [1], ['a']), f32([], [1])], {}],
  ['DequantizeLinear of floats', 'DequantizeLinear', [x4, f32([], [1])], {}],
  [
    'DequantizeLinear with a mismatched zero point',
    'DequantizeLinear',
    [t('int8', [2], [1, 2]), f32([], [1]), t('uint8', [], [0])],
    {},
  ],
  ['DynamicQuantizeLinear of float64', 'DynamicQuantizeLinear', [t('float64', [2], [1, 2])], {}],
  ['MatMulInteger of floats', 'MatMulInteger', [f32([1, 1], [1]), f32([1, 1], [1])], {}],
  [
    'MatMulInteger with a per-row zero point of the wrong length',
    'MatMulInteger',
    [t('uint8', [2, 2], [1, 2, 3, 4]), t('uint8', [2, 2], [1, 2, 3, 4]), t('uint8', [3], [1, 2, 3])],
    {},
  ],
  [
    'QLinearConv with a float bias',
    'QLinearConv',
    [
      t('uint8', [1, 1, 2, 2], [1, 2, 3, 4]),
      f32([], [1]),
      t('uint8', [], [0]),
      t('uint8', [1, 1, 1, 1], [1]),
      f32([], [1]),
      t('uint8', [], [0]),
      f32([], [1]),
      t('uint8', [], [0]),
      f32([1], [1]),
    ],
    {},
  ],
  ['ConvTranspose with W for other channels', 'ConvTranspose', [x4, f32([3, 1, 2, 2], rand(12))], {}],
  [
    'ConvTranspose with output_padding of the wrong length',
    'ConvTranspose',
    [x4, f32([2, 1, 2, 2], rand(8))],
    { output_padding: ints([1]) },
  ],
  [
    'MaxUnpool with indices of another shape',
    'MaxUnpool',
    [f32([1, 1, 1, 2], [1, 2]), t('int64', [1, 1, 2, 1], [0, 1])],
    { kernel_shape: ints([2, 2]) },
  ],
  ['GridSample with a grid of the wrong rank', 'GridSample', [x4, f32([1, 2, 2], rand(4))], {}, 16],
  [
    'GridSample with an unknown mode',
    'GridSample',
    [x4, f32([1, 1, 1, 2], [0, 0])],
    { mode: str('area') },
    16,
  ],
  [
    'GridSample 5-D input at opset 16',
    'GridSample',
    [f32([1, 1, 2, 2, 2], rand(8)), f32([1, 1, 1, 1, 3], [0, 0, 0])],
    {},
    16,
  ],
  ['RoiAlign with 3-column rois', 'RoiAlign', [x4, f32([1, 3], [0, 0, 1]), t('int64', [1], [0])], {}],
  [
    'RoiAlign with an unknown mode',
    'RoiAlign',
    [x4, f32([1, 4], [0, 0, 1, 1]), t('int64', [1], [0])],
    { mode: str('median') },
  ],
  ['LpPool with a bad stride count', 'LpPool', [x4], { kernel_shape: ints([2, 2]), strides: ints([1]) }],
  [
    'BatchNormalization spatial scale on an opset-9 model',
    'BatchNormalization',
    [x4, f32([32], rand(32)), f32([32], rand(32)), f32([32], rand(32)), f32([32], rand(32))],
    { epsilon: float(1e-5) },
    9,
  ],
];

describe('nn ops reject bad inputs with KilnError', () => {
  for (const [what, op, inputs, attrs, opset] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        run(op, inputs, attrs, opset ?? 21);
      } catch (e) {
        err = e;
      }
      expect(err, `${what} did not throw`).toBeInstanceOf(KilnError);
      expect((err as KilnError).message).toContain(`test_${op}`);
    });
  }
});
