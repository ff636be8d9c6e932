/** Test helpers for control ops: direct OpDef calls, one-node models for the executor and onnxruntime. */
import { expect } from 'vitest';
import type { Attribute, Graph, Model, Node, TypeInfo, ValueInfo } from '../../../../../compiler/ir/graph.js';
import { exportModel } from '../../../../../compiler/onnx/export.js';
import { GraphExecutor } from '../../../../../compiler/reference/executor.js';
import { controlOps } from '../../../../../compiler/reference/ops/control/index.js';
import type { OpDef } from '../../../../../compiler/reference/op.js';
import type { Value } from '../../../../../compiler/reference/value.js';
import type { DType } from '../../../../../runtime/dtype.js';
import { Tensor, tensorFrom } from '../../../../../runtime/tensor.js';
import { findOp, inferDef, oneNode, runDef } from '../op-harness.js';

export { int, float, ints, floats, str, strs, f32, t } from '../op-harness.js';
export const graphAttr = (value: Graph): Attribute => ({ type: 'graph', value });
export const i64 = (shape: number[], values: number[]) => tensorFrom('int64', shape, values);

export const opDef = (op: string): OpDef => findOp(controlOps, 'controlOps', op);

export function makeNode(
  op: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, Attribute> = {},
): Node {
  return { name: `n_${op}_${outputs[0] ?? ''}`, op, domain: '', inputs, outputs, attrs };
}

const nodeFor = (
  op: string,
  inputs: readonly unknown[],
  attrs: Record<string, Attribute>,
  nOut: number,
): Node => oneNode(op, attrs, inputs.length, nOut, inputs, `n_${op}_out0`);

/** Call an op's run/runValues directly (no subgraphs). Omitted inputs are undefined. */
export const runOp = (
  op: string,
  inputs: (Value | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
  nOut = 3,
): (Value | undefined)[] => runDef(opDef(op), nodeFor(op, inputs, attrs, nOut), inputs, opset);

export const inferOp = (
  op: string,
  inputs: (TypeInfo | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
  nOut = 3,
  inferSubgraph: (g: Graph, ins: (TypeInfo | undefined)[]) => (TypeInfo | undefined)[] = () => [],
  constants: (Tensor | undefined)[] = [],
): (TypeInfo | undefined)[] =>
  inferDef(opDef(op), nodeFor(op, inputs, attrs, nOut), inputs, opset, constants, inferSubgraph);

export const vi = (name: string, dtype?: DType, shape?: number[], kind?: ValueInfo['kind']): ValueInfo => ({
  name,
  ...(dtype ? { type: { dtype, shape } } : {}),
  ...(kind ? { kind } : {}),
});

export function graph(
  name: string,
  inputs: ValueInfo[],
  outputs: ValueInfo[],
  nodes: Node[],
  inits: [string, Tensor][] = [],
): Graph {
  return { name, inputs, outputs, nodes, initializers: new Map(inits), valueInfo: new Map() };
}

export function model(g: Graph, opset = 21): Model {
  return {
    irVersion: 8,
    opsetImports: new Map([['', opset]]),
    producerName: 'kiln-test',
    producerVersion: '',
    domain: '',
    modelVersion: 1,
    docString: '',
    metadata: {},
    functions: [],
    graph: g,
  };
}

/** Run a model on the reference executor. */
export function execute(m: Model, feeds: Record<string, Value>): Map<string, Value> {
  return GraphExecutor.forModel(m).run(m.graph, new Map(Object.entries(feeds)));
}

export function modelBytes(m: Model): Uint8Array {
  return exportModel(m);
}

/** Deterministic pseudo-random values in [-scale, scale]. */
export function rand(n: number, seed: number, scale = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 * scale - scale;
  });
}

export function expectClose(
  actual: Value | undefined,
  shape: number[],
  values: ArrayLike<number>,
  tol = 1e-5,
): void {
  expect(actual).toBeInstanceOf(Tensor);
  const a = actual as Tensor;
  expect([...a.shape]).toEqual(shape);
  expect(a.size).toBe(values.length);
  for (let i = 0; i < values.length; i++) {
    const got = Number(a.data[i]);
    const want = values[i]!;
    if (Math.abs(got - want) > tol * (1 + Math.abs(want))) {
      throw new Error(`element ${i}: got ${got}, expected ${want}`);
    }
  }
}

export function expectTensorsClose(actual: Value | undefined, expected: Tensor, tol = 1e-5): void {
  expectClose(actual, [...expected.shape], Array.from(expected.data as Float32Array, Number), tol);
}
