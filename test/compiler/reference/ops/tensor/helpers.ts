/** Test helpers: call a tensor OpDef's run/infer directly, and run single-node models in onnxruntime. */
import { expect } from 'vitest';
import { exportModel } from '../../../../../compiler/onnx/export.js';
import type { Attribute, Dim, Model, Node, TypeInfo } from '../../../../../compiler/ir/graph.js';
import { tensorOps } from '../../../../../compiler/reference/ops/tensor/index.js';
import type { OpDef } from '../../../../../compiler/reference/op.js';
import type { DType } from '../../../../../runtime/dtype.js';
import { type Tensor, tensorFrom } from '../../../../../runtime/tensor.js';
import { runOrt } from '../../../../helpers/ort.js';

export const int = (value: number): Attribute => ({ type: 'int', value });
export const ints = (value: number[]): Attribute => ({ type: 'ints', value });
export const float = (value: number): Attribute => ({ type: 'float', value });
export const floats = (value: number[]): Attribute => ({ type: 'floats', value });
export const str = (value: string): Attribute => ({ type: 'string', value });

export function opDef(op: string): OpDef {
  const d = tensorOps.find((o) => o.op === op);
  if (!d) throw new Error(`op ${op} not in tensorOps`);
  return d;
}

export function makeNode(op: string, attrs: Record<string, Attribute>, nIn: number, nOut = 1): Node {
  return {
    name: `test_${op}`,
    op,
    domain: '',
    inputs: Array.from({ length: nIn }, (_, i) => `in${i}`),
    outputs: Array.from({ length: nOut }, (_, i) => `out${i}`),
    attrs,
  };
}

export function runN(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
  nOut = 1,
): Tensor[] {
  const node = makeNode(op, attrs, inputs.length, nOut);
  inputs.forEach((t, i) => {
    if (!t) node.inputs[i] = '';
  });
  const outs = opDef(op).run!(inputs, {
    node,
    opset,
    runSubgraph: () => {
      throw new Error('no subgraphs');
    },
  });
  return outs.map((o) => {
    if (!o) throw new Error('missing output');
    return o;
  });
}

export const run1 = (
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
): Tensor => runN(op, inputs, attrs, opset)[0]!;

/** Infer with optional constant inputs; fresh dims are named unk__0, unk__1, ... */
export function inferN(
  op: string,
  inputs: (TypeInfo | undefined)[],
  attrs: Record<string, Attribute> = {},
  opts: { opset?: number; constants?: (Tensor | undefined)[]; nOut?: number } = {},
): (TypeInfo | undefined)[] {
  let n = 0;
  const node = makeNode(op, attrs, inputs.length, opts.nOut ?? 1);
  inputs.forEach((t, i) => {
    if (!t && !opts.constants?.[i]) node.inputs[i] = '';
  });
  return opDef(op).infer({
    node,
    opset: opts.opset ?? 21,
    inputs,
    constants: opts.constants ?? [],
    freshDim: () => `unk__${n++}`,
    inferSubgraph: () => [],
  });
}

export const infer1 = (...args: Parameters<typeof inferN>) => inferN(...args)[0];

export const t = (dtype: DType, shape: number[], values: ArrayLike<number | bigint | boolean>) =>
  tensorFrom(dtype, shape, values);
export const f32 = (shape: number[], values: ArrayLike<number>) => tensorFrom('float32', shape, values);
export const i64 = (values: number[], shape = [values.length]) => tensorFrom('int64', shape, values);
export const ti = (dtype: DType, shape?: Dim[]): TypeInfo => ({ dtype, shape });
export const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Plain values of a tensor as numbers. */
export const vals = (x: Tensor): number[] => Array.from(x.data as ArrayLike<number | bigint>, Number);

export function expectTensor(actual: Tensor, shape: number[], expected: ArrayLike<number>, tol = 1e-6): void {
  expect([...actual.shape]).toEqual(shape);
  const a = vals(actual);
  expect(a.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(a[i]).toBeNaN();
    else if (!(Math.abs(a[i]! - e) <= tol * Math.max(1, Math.abs(e))))
      throw new Error(`element ${i}: got ${a[i]}, expected ${e} (all: ${a.join(',')})`);
  }
}

/** Deterministic pseudo-random values in [-1, 1). */
export function rand(n: number, seed = 1): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(s / 2 ** 31 - 1);
  }
  return out;
}

/**
 * Run one node in onnxruntime: inputs are graph inputs (fed at run time) and the output is returned.
 * Used to check behaviour the conformance data does not cover (newer opsets, more attribute combinations).
 */
export async function ortSingleNode(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute>,
  opset: number,
  nOut = 1,
): Promise<Tensor[]> {
  const node = makeNode(op, attrs, inputs.length, nOut);
  inputs.forEach((x, i) => {
    if (!x) node.inputs[i] = '';
  });
  const model: Model = {
    irVersion: 9,
    opsetImports: new Map([['', opset]]),
    producerName: 'kiln-test',
    producerVersion: '0',
    domain: '',
    modelVersion: 1,
    docString: '',
    metadata: {},
    functions: [],
    graph: {
      name: 'g',
      inputs: inputs.flatMap((x, i) =>
        x ? [{ name: `in${i}`, type: { dtype: x.dtype, shape: [...x.shape] }, kind: 'tensor' as const }] : [],
      ),
      outputs: node.outputs.map((name) => ({ name })),
      nodes: [node],
      initializers: new Map(),
      valueInfo: new Map(),
    },
  };
  const feeds: Record<string, Tensor> = {};
  inputs.forEach((x, i) => {
    if (x) feeds[`in${i}`] = x;
  });
  const out = await runOrt(exportModel(model), feeds);
  return node.outputs.map((name) => out[name]!);
}
