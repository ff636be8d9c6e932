/** Test helpers: call a tensor OpDef's run/infer directly, and run single-node models in onnxruntime. */
import { exportModel } from '../../../../../compiler/onnx/export.js';
import type { Attribute, Model, Node, TypeInfo } from '../../../../../compiler/ir/graph.js';
import { tensorOps } from '../../../../../compiler/reference/ops/tensor/index.js';
import type { OpDef } from '../../../../../compiler/reference/op.js';
import { type Tensor, tensorFrom } from '../../../../../runtime/tensor.js';
import { runOrt } from '../../../../helpers/ort.js';
import { expectValues, findOp, inferDef, oneNode, runDef } from '../op-harness.js';

export { int, ints, float, floats, str, t, f32, ti, vals, rand } from '../op-harness.js';

export const opDef = (op: string): OpDef => findOp(tensorOps, 'tensorOps', op);

export const makeNode = (op: string, attrs: Record<string, Attribute>, nIn: number, nOut = 1): Node =>
  oneNode(op, attrs, nIn, nOut);

export function runN(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
  nOut = 1,
): Tensor[] {
  const node = oneNode(op, attrs, inputs.length, nOut, inputs);
  return runDef(opDef(op), node, inputs, opset).map((o) => {
    if (!o) throw new Error('missing output');
    return o as Tensor;
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
  const present = inputs.map((x, i) => x ?? opts.constants?.[i]);
  const node = oneNode(op, attrs, inputs.length, opts.nOut ?? 1, present);
  return inferDef(opDef(op), node, inputs, opts.opset ?? 21, opts.constants ?? []);
}

export const infer1 = (...args: Parameters<typeof inferN>) => inferN(...args)[0];

export const i64 = (values: number[], shape = [values.length]) => tensorFrom('int64', shape, values);
export const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

export const expectTensor = (
  actual: Tensor,
  shape: number[],
  expected: ArrayLike<number>,
  tol = 1e-6,
): void => expectValues(actual, shape, expected, tol);

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
  const node = oneNode(op, attrs, inputs.length, nOut, inputs);
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
