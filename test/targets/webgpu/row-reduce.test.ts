import { afterAll, describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import { compareValues } from '../../../compiler/conformance/compare.js';
import type { Attribute } from '../../../compiler/ir/graph.js';
import type { Value } from '../../../compiler/reference/value.js';
import type { DType } from '../../../runtime/dtype.js';
import { Tensor } from '../../../runtime/tensor.js';
import { WebGpuInstance } from '../../../runtime/webgpu/instance.js';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { compileWebGpu } from '../../../targets/webgpu/compile.js';
import { ROW_REDUCE_BOUNDS, type RowReduceBounds } from '../../../targets/webgpu/row-reduce.js';
import { oneNodeModel } from '../../helpers/build.js';
import { seededRandom } from '../../helpers/random.js';
import { gpuNote, hasAdapter } from './adapter.js';

/**
 * Reductions, Softmax and LayerNorm as workgroup trees (targets/webgpu/row-reduce.ts) against the
 * reference executor at the webgpu tolerance: long and short axes, odd lengths, every reduce kind,
 * trailing, middle and all axes; each with the tree and the subgroup variant.
 */

const ints = (value: number[]): Attribute => ({ type: 'ints', value });
const int = (value: number): Attribute => ({ type: 'int', value });

/** Seeded values in [lo, hi). */
function values(dtype: 'float32', shape: number[], seed: number, lo = -2, hi = 2): Tensor {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, () => lo + (hi - lo) * r());
  return new Tensor(dtype, shape, Float32Array.from(v));
}

interface Case {
  name: string;
  op: string;
  inputs: Tensor[];
  attrs?: Record<string, Attribute>;
  outputs: DType[];
  opset: number;
}

const REDUCE_KINDS: { op: string; lo?: number; hi?: number }[] = [
  { op: 'ReduceSum' },
  { op: 'ReduceMean' },
  { op: 'ReduceMax' },
  { op: 'ReduceMin' },
  // products of values near 1 stay finite over thousands of elements
  { op: 'ReduceProd', lo: 0.995, hi: 1.005 },
  { op: 'ReduceL1' },
  { op: 'ReduceL2' },
  { op: 'ReduceSumSquare' },
  { op: 'ReduceLogSum', lo: 0.1, hi: 2 },
  { op: 'ReduceLogSumExp' },
];

const reduce = (
  op: string,
  shape: number[],
  axes: number[],
  seed: number,
  lo?: number,
  hi?: number,
): Case => ({
  name: `${op} [${shape}] axes [${axes}]`,
  op,
  inputs: [values('float32', shape, seed, lo, hi)],
  attrs: { axes: ints(axes), keepdims: int(1) },
  outputs: ['float32'],
  opset: 11,
});

const CASES: Case[] = [
  // long odd and short odd rows, trailing axis
  ...REDUCE_KINDS.flatMap(({ op, lo, hi }, i) => [
    reduce(op, [3, 4099], [1], 10 + i, lo, hi),
    reduce(op, [5, 7], [1], 30 + i, lo, hi),
  ]),
  // a middle axis (strided rows), several trailing axes, every axis (one row)
  reduce('ReduceSum', [4, 513, 3], [1], 50),
  reduce('ReduceMax', [2, 3, 17, 19], [2, 3], 51),
  reduce('ReduceMean', [37, 301], [0, 1], 52),
  ...['Softmax', 'LogSoftmax'].flatMap((op, i) => [
    {
      name: `${op} [6, 1000]`,
      op,
      inputs: [values('float32', [6, 1000], 60 + i, -8, 8)],
      outputs: ['float32' as DType],
      opset: 13,
    },
    {
      name: `${op} [5, 7]`,
      op,
      inputs: [values('float32', [5, 7], 62 + i)],
      outputs: ['float32' as DType],
      opset: 13,
    },
    {
      name: `${op} [2, 301, 3] axis 1`,
      op,
      inputs: [values('float32', [2, 301, 3], 64 + i, -8, 8)],
      attrs: { axis: int(1) },
      outputs: ['float32' as DType],
      opset: 13,
    },
  ]),
  {
    name: 'Softmax [2, 5003]',
    op: 'Softmax',
    inputs: [values('float32', [2, 5003], 67, -8, 8)],
    outputs: ['float32'],
    opset: 13,
  },
  // Hardmax carries `seen` along the row: it keeps one thread per row
  {
    name: 'Hardmax [3, 777]',
    op: 'Hardmax',
    inputs: [values('float32', [3, 777], 66)],
    outputs: ['float32'],
    opset: 13,
  },
  {
    name: 'LayerNormalization [4, 768] with Mean and InvStdDev',
    op: 'LayerNormalization',
    inputs: [
      values('float32', [4, 768], 70, -3, 5),
      values('float32', [768], 71),
      values('float32', [768], 72),
    ],
    attrs: { axis: int(-1), epsilon: { type: 'float', value: 1e-5 } },
    outputs: ['float32', 'float32', 'float32'],
    opset: 17,
  },
  {
    name: 'LayerNormalization [1, 2, 4100]',
    op: 'LayerNormalization',
    inputs: [values('float32', [1, 2, 4100], 78, -3, 5), values('float32', [4100], 79)],
    outputs: ['float32'],
    opset: 17,
  },
  {
    name: 'LayerNormalization [3, 5]',
    op: 'LayerNormalization',
    inputs: [values('float32', [3, 5], 73), values('float32', [5], 74), values('float32', [5], 75)],
    outputs: ['float32'],
    opset: 17,
  },
  {
    name: 'LayerNormalization [2, 3, 11, 31] axis 2',
    op: 'LayerNormalization',
    inputs: [values('float32', [2, 3, 11, 31], 76), values('float32', [11, 31], 77)],
    attrs: { axis: int(2) },
    outputs: ['float32'],
    opset: 17,
  },
  {
    name: 'GlobalAveragePool [1, 8, 23, 29]',
    op: 'GlobalAveragePool',
    inputs: [values('float32', [1, 8, 23, 29], 80)],
    outputs: ['float32'],
    opset: 13,
  },
];

const TOLERANCE = { rtol: 1e-3, atol: 1e-3 };
const length = (c: Case): number => {
  if (c.op === 'GlobalAveragePool') return c.inputs[0]!.shape.slice(2).reduce((a, b) => a * b, 1);
  const shape = c.inputs[0]!.shape;
  const axes = (c.attrs?.axes?.value as number[] | undefined) ?? [
    (((c.attrs?.axis?.value as number | undefined) ?? -1) + shape.length) % shape.length,
  ];
  const from = c.op === 'LayerNormalization' ? axes[0]! : undefined;
  const reduced = from === undefined ? axes : shape.map((_, i) => i).filter((i) => i >= from);
  return reduced.reduce((a, i) => a * shape[i]!, 1);
};

const rowCount = (c: Case): number => c.inputs[0]!.shape.reduce((a, b) => a * b, 1) / length(c);

describe('webgpu row reductions: the shaders', () => {
  it('renders a tree and a subgroup variant for few long rows, one thread per row otherwise', () => {
    const softmax = (rows: number, n: number) =>
      compileWebGpu(oneNodeModel('Softmax', [values('float32', [rows, n], 1)], {}, ['float32'], 13).model, {
        selfTest: false,
      });
    const long = softmax(2, 5003);
    const [d] = long.layout.dispatches;
    expect(d!.name).toMatch(/_rows$/);
    expect(d!.workgroups).toEqual([2, 1, 1]);
    const tree = long.shaders.get(d!.shader)!;
    const sub = long.shaders.get(d!.subgroupShader!)!;
    expect(tree).not.toContain('subgroup');
    expect(tree).toContain('workgroupBarrier();');
    expect(sub.startsWith('enable subgroups;')).toBe(true);
    expect(sub).toContain('subgroupMax(');
    expect(sub).toContain('subgroupAdd(');
    for (const many of [softmax(64, 5003), softmax(2, 1000)])
      expect(many.layout.dispatches.every((x) => !x.name.endsWith('_rows') && !x.subgroupShader)).toBe(true);
  });
});

describe.skipIf(!hasAdapter)(gpuNote('webgpu row reductions as workgroup trees'), () => {
  const instances: WebGpuInstance[] = [];
  afterAll(() => instances.forEach((i) => i.release()));

  async function run(c: Case, rowReduce: RowReduceBounds | undefined, subgroups: boolean) {
    const { model, feeds, outputs } = oneNodeModel(c.op, c.inputs, c.attrs ?? {}, c.outputs, c.opset);
    const compiled = compileWebGpu(model, { selfTest: false, rowReduce });
    const instance = await WebGpuInstance.create(
      compiled.layout,
      (p) => compiled.shaders.get(p)!,
      compiled.weights,
      {
        gpu: await nodeWebGpu(),
        subgroups,
      },
    );
    instances.push(instance);
    const ours = (await instance.run(feeds)) as Record<string, Tensor>;
    const want = referenceBackend
      .prepare(oneNodeModel(c.op, c.inputs, c.attrs ?? {}, c.outputs, c.opset).model)
      .run(new Map<string, Value>(Object.entries(feeds)));
    for (const o of outputs)
      expect(compareValues(ours[o], want.get(o)!, TOLERANCE), `${c.name} ${o}`).toBeUndefined();
    return { layout: compiled.layout, shaders: compiled.shaders, instance };
  }

  it.each(CASES)(
    '$name',
    async (c) => {
      // forced onto the workgroup path (short rows included), with and without subgroups
      const forced = { minLength: 1, maxRows: Infinity };
      const forcedTree = await run(c, forced, false);
      const rows = forcedTree.layout.dispatches.filter((d) => d.name.endsWith('_rows'));
      if (c.op === 'Hardmax') expect(rows).toHaveLength(0);
      else {
        expect(rows.length).toBeGreaterThan(0);
        expect(forcedTree.instance.subgroups).toBe(false);
        for (const d of rows)
          expect(forcedTree.shaders.get(d.subgroupShader!)).toContain('enable subgroups;');
        const forcedSubgroups = await run(c, forced, true);
        const adapter = await (await nodeWebGpu()).requestAdapter();
        expect(forcedSubgroups.instance.subgroups).toBe(adapter!.features.has('subgroups'));
      }
      // the default bounds: few long rows take a workgroup each, others keep one thread per row
      const byDefault = await run(c, undefined, true);
      const usesRows = byDefault.layout.dispatches.some((d) => d.name.endsWith('_rows'));
      const { minLength, maxRows } = ROW_REDUCE_BOUNDS;
      expect(usesRows).toBe(c.op !== 'Hardmax' && length(c) >= minLength && rowCount(c) <= maxRows);
    },
    180_000,
  );
});
