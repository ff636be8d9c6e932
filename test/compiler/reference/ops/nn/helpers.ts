/** Test helpers: call an nn OpDef's run/infer directly with a minimal node and context. */
import type { Attribute, Node, TypeInfo } from '../../../../../compiler/ir/graph.js';
import { nnOps } from '../../../../../compiler/reference/ops/nn/index.js';
import type { OpDef } from '../../../../../compiler/reference/op.js';
import type { Tensor } from '../../../../../runtime/tensor.js';
import { expectValues, findOp, inferDef, oneNode, runDef } from '../op-harness.js';

export { int, float, ints, floats, str, t, f32, ti, rand } from '../op-harness.js';

export const opDef = (op: string): OpDef => findOp(nnOps, 'nnOps', op);

export const makeNode = (op: string, attrs: Record<string, Attribute> = {}, nIn = 3, nOut = 3): Node =>
  oneNode(op, attrs, nIn, nOut);

export const run = (
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
  nOut = 3,
): (Tensor | undefined)[] =>
  runDef(opDef(op), makeNode(op, attrs, inputs.length, nOut), inputs, opset) as Tensor[];

export function run1(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
): Tensor {
  const r = run(op, inputs, attrs, opset, 1)[0];
  if (!r) throw new Error('no output');
  return r;
}

export const infer = (
  op: string,
  inputs: (TypeInfo | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
  constants: (Tensor | undefined)[] = [],
): (TypeInfo | undefined)[] =>
  inferDef(opDef(op), makeNode(op, attrs, inputs.length), inputs, opset, constants);

/** Elementwise closeness with a relative tolerance; NaN must match NaN. */
export const expectClose = (actual: Tensor, shape: number[], expected: ArrayLike<number>, tol = 1e-5): void =>
  expectValues(actual, shape, expected, tol);
