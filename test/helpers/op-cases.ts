import type { Attribute } from '../../compiler/ir/graph.js';
import type { Value } from '../../compiler/reference/value.js';
import type { DType } from '../../runtime/dtype.js';
import { Tensor, tensorFrom } from '../../runtime/tensor.js';
import { oneNodeModel } from './build.js';
import { seededRandom } from './random.js';

/**
 * Single-node cases for ops lowered into the kernel IR, beyond what the ONNX conformance data
 * exercises (ties, NaN, out-of-range indices, other dtypes and axes); the wasm and webgpu tests
 * compile each with the inputs that decide shapes bound and compare every output with the
 * reference executor.
 */
export const t = (dtype: DType, shape: number[], v: number[]): Tensor =>
  dtype === 'int64' || dtype === 'uint64'
    ? new Tensor(dtype, shape, (dtype === 'int64' ? BigInt64Array : BigUint64Array).from(v.map(BigInt)))
    : tensorFrom(dtype, shape, v);
const u64 = (v: bigint[]) => new Tensor('uint64', [v.length], BigUint64Array.from(v));
const ints = (value: number[]): Attribute => ({ type: 'ints', value });
const str = (value: string): Attribute => ({ type: 'string', value });
/** Seeded values in [-2, 2). */
const rand = (shape: number[], seed: number): Tensor => {
  const r = seededRandom(seed);
  return tensorFrom(
    'float32',
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 4 * r() - 2),
  );
};
const int = (value: number): Attribute => ({ type: 'int', value });

export interface OpCase {
  name: string;
  op: string;
  inputs: (Tensor | undefined)[];
  attrs?: Record<string, Attribute>;
  outputs: DType[];
  opset: number;
  /** Inputs (by position) bound at compile time: the ones that decide shapes. */
  bind?: number[];
  /** The webgpu target refuses this case at compile time, with a reason matching this. */
  webgpuRefuses?: RegExp;
}

export const OP_CASES: OpCase[] = [
  {
    name: 'TopK largest with ties and NaN, axis 0',
    op: 'TopK',
    inputs: [t('float32', [5, 2], [1, NaN, 3, 2, 3, 2, NaN, 0, -1, 2]), t('int64', [1], [3])],
    attrs: { axis: int(0) },
    outputs: ['float32', 'int64'],
    opset: 11,
    bind: [1],
  },
  {
    name: 'TopK smallest on int32 with ties, middle axis',
    op: 'TopK',
    inputs: [t('int32', [2, 4, 2], [5, 1, 5, 1, -3, 7, 0, 7, 2, 2, 2, 2, 9, -9, 1, 0]), t('int64', [1], [2])],
    attrs: { axis: int(1), largest: int(0) },
    outputs: ['int32', 'int64'],
    opset: 11,
    bind: [1],
  },
  {
    name: 'OneHot with float indices (truncated), out of range and negative ones, int64 values',
    op: 'OneHot',
    inputs: [t('float32', [2, 3], [1.7, -1, 5, -4, 0, 2.2]), t('int64', [], [4]), t('int64', [2], [-2, 9])],
    attrs: { axis: int(1) },
    outputs: ['int64'],
    opset: 11,
    bind: [1],
  },
  {
    name: 'OneHot at opset 9: negative indices are off',
    op: 'OneHot',
    inputs: [t('int32', [3], [-1, 0, 2]), t('float32', [], [3]), t('float32', [2], [0, 1])],
    outputs: ['float32'],
    opset: 9,
    bind: [1],
  },
  {
    name: 'Pow int32 base, int64 exponents: wrapping, negative exponents',
    op: 'Pow',
    inputs: [t('int32', [6], [2, -3, 1, -1, 5, 3]), t('int64', [6], [10, 3, -2, -3, -1, 21])],
    outputs: ['int32'],
    opset: 15,
  },
  {
    name: 'Pow int64 base, float32 exponents (integral ones exact, others truncated)',
    op: 'Pow',
    inputs: [t('int64', [2, 3], [9, 10, 7, 2, 3, 4]), t('float32', [3], [0.5, 2, 1.5])],
    outputs: ['int64'],
    opset: 15,
  },
  {
    // the size decides the shape: bound, the window is a constant computed at compile time
    name: 'BlackmanWindow, symmetric, float64 output',
    op: 'BlackmanWindow',
    inputs: [t('int64', [], [7])],
    attrs: { periodic: int(0), output_datatype: int(11) },
    outputs: ['float64'],
    opset: 17,
    bind: [0],
  },
  {
    name: 'Max of uint64 values above 2^63 (unsigned order)',
    op: 'Max',
    inputs: [u64([2n ** 64n - 5n, 3n, 2n ** 63n]), u64([7n, 2n ** 63n + 1n, 2n ** 63n - 1n])],
    outputs: ['uint64'],
    opset: 13,
    webgpuRefuses: /uint64/,
  },
  {
    name: 'Min of uint64 values above 2^63 (unsigned order)',
    op: 'Min',
    inputs: [u64([2n ** 64n - 5n, 3n, 2n ** 63n]), u64([7n, 2n ** 63n + 1n, 2n ** 63n - 1n])],
    outputs: ['uint64'],
    opset: 13,
    webgpuRefuses: /uint64/,
  },
  {
    name: 'Mod of uint64 values above 2^63 (unsigned remainder)',
    op: 'Mod',
    inputs: [u64([2n ** 64n - 5n, 10n, 2n ** 63n + 7n]), u64([7n, 3n, 2n ** 63n])],
    outputs: ['uint64'],
    opset: 13,
    webgpuRefuses: /uint64/,
  },
  {
    name: 'MaxUnpool into a larger output_shape (indices split into coordinates of the default shape)',
    op: 'MaxUnpool',
    inputs: [
      t('float32', [1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]),
      t('int64', [1, 2, 2, 2], [0, 3, 13, 15, 17, 18, 24, 31]),
      t('int64', [4], [1, 2, 5, 6]),
    ],
    attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) },
    outputs: ['float32'],
    opset: 11,
    bind: [2],
  },
  {
    // ties to even at the float16 spacing, overflow to Inf, subnormals, NaN, signed zero
    name: 'Cast float32 → float16: rounding, overflow, subnormals, NaN',
    op: 'Cast',
    inputs: [
      t('float32', [10], [1.00048828125, 1.00146484375, 65520, -70000, 6e-8, 3e-8, -1e-5, NaN, -0, 2049]),
    ],
    attrs: { to: int(10) },
    outputs: ['float16'],
    opset: 13,
  },
  {
    name: 'Mul of float16 values (computed in float32, stored as float16)',
    op: 'Mul',
    inputs: [t('float16', [4], [0.5, 1000, 3.140625, -2e-7]), t('float16', [4], [3, 100, 3, 0.5])],
    outputs: ['float16'],
    opset: 14,
  },
  {
    // a zero on the diagonal (needs a row swap), and a singular matrix
    name: 'Det of a batch: pivoting, a singular matrix',
    op: 'Det',
    inputs: [t('float32', [2, 3, 3], [0, 2, 1, 3, -1, 4, 2, 5, -2, 1, 2, 3, 2, 4, 6, 0, 1, 7])],
    outputs: ['float32'],
    opset: 11,
  },
  {
    // grid points far outside [-1, 1]: several mirror passes
    name: 'GridSample bicubic, reflection padding, grid far out of range',
    op: 'GridSample',
    inputs: [
      rand([1, 2, 3, 4], 11),
      t('float32', [1, 2, 3, 2], [-1.7, 2.9, 0.3, -0.2, 1.0, -1.0, 3.6, 0.95, -2.5, -3.1, 0.0, 0.49]),
    ],
    attrs: { mode: str('bicubic'), padding_mode: str('reflection') },
    outputs: ['float32'],
    opset: 16,
  },
  {
    name: 'GridSample nearest, zeros padding, align_corners',
    op: 'GridSample',
    inputs: [
      rand([2, 1, 3, 3], 12),
      t('float32', [2, 1, 3, 2], [-1.7, 2.9, 0.3, -0.2, 1.0, -1.0, 3.6, 0.95, -2.5, -3.1, 0.0, 0.49]),
    ],
    attrs: { mode: str('nearest'), align_corners: int(1) },
    outputs: ['float32'],
    opset: 16,
  },
  {
    name: 'DFT inverse of a complex signal, zero-padded to dft_length 6',
    op: 'DFT',
    inputs: [rand([2, 4, 2], 13), t('int64', [], [6])],
    attrs: { inverse: int(1), axis: int(1) },
    outputs: ['float32'],
    opset: 17,
    bind: [1],
  },
  {
    name: 'DFT onesided of a real signal truncated to dft_length 3, axis from input (opset 20)',
    op: 'DFT',
    inputs: [rand([5, 2, 1], 14), t('int64', [], [3]), t('int64', [], [0])],
    attrs: { onesided: int(1) },
    outputs: ['float32'],
    opset: 20,
    bind: [1, 2],
  },
];

/** The case's model, its feeds, output names and the bound inputs. */
export function caseModel(c: OpCase) {
  const { model, feeds, outputs } = oneNodeModel(c.op, c.inputs, c.attrs ?? {}, c.outputs, c.opset);
  const bind = new Map((c.bind ?? []).map((i) => [`x${i}`, c.inputs[i]!]));
  return { model, feeds: new Map<string, Value>(Object.entries(feeds)), outputs, bind };
}
