/** Test helpers: call a math OpDef's run/infer directly with a minimal node and context. */
import type { Attribute, TypeInfo } from '../../../../../compiler/ir/graph.js';
import { mathOps } from '../../../../../compiler/reference/ops/math/index.js';
import type { OpDef } from '../../../../../compiler/reference/op.js';
import type { Tensor } from '../../../../../runtime/tensor.js';
import { expectValues, findOp, inferDef, oneNode, runDef } from '../op-harness.js';

export { int, float, str, t, f32, f64, ti, rand } from '../op-harness.js';

export const opDef = (op: string): OpDef => findOp(mathOps, 'mathOps', op);

export const makeNode = (op: string, attrs: Record<string, Attribute> = {}, nIn = 2) =>
  oneNode(op, attrs, nIn, 1);

export function run1(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
): Tensor {
  const out = runDef(opDef(op), makeNode(op, attrs, inputs.length), inputs, opset)[0];
  if (!out) throw new Error('no output');
  return out as Tensor;
}

export const infer1 = (
  op: string,
  inputs: (TypeInfo | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
): TypeInfo | undefined => inferDef(opDef(op), makeNode(op, attrs, inputs.length), inputs, opset)[0];

/** Plain values of a tensor (numbers, or bigints for int64/uint64: exactness is what these tests check). */
export const vals = (x: Tensor): (number | bigint | string)[] => Array.from(x.data as ArrayLike<number>);

/** Elementwise closeness with a relative tolerance; NaN must match NaN. */
export const expectClose = (actual: Tensor, shape: number[], expected: ArrayLike<number>, tol = 1e-6): void =>
  expectValues(actual, shape, expected, tol);
