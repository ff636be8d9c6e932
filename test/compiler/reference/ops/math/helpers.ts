/** Test helpers: call a math OpDef's run/infer directly with a minimal node and context. */
import { expect } from 'vitest';
import type { Attribute, Dim, Node, TypeInfo } from '../../../../../compiler/ir/graph.js';
import { mathOps } from '../../../../../compiler/reference/ops/math/index.js';
import type { OpDef } from '../../../../../compiler/reference/op.js';
import { type Tensor, tensorFrom } from '../../../../../runtime/tensor.js';
import type { DType } from '../../../../../runtime/dtype.js';

export const int = (value: number): Attribute => ({ type: 'int', value });
export const float = (value: number): Attribute => ({ type: 'float', value });
export const str = (value: string): Attribute => ({ type: 'string', value });

export function opDef(op: string): OpDef {
  const d = mathOps.find((o) => o.op === op);
  if (!d) throw new Error(`op ${op} not in mathOps`);
  return d;
}

export function makeNode(op: string, attrs: Record<string, Attribute> = {}, nIn = 2): Node {
  return {
    name: `test_${op}`,
    op,
    domain: '',
    inputs: Array.from({ length: nIn }, (_, i) => `in${i}`),
    outputs: ['out0'],
    attrs,
  };
}

export function run1(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
): Tensor {
  const out = opDef(op).run!(inputs, {
    node: makeNode(op, attrs, inputs.length),
    opset,
    runSubgraph: () => {
      throw new Error('no subgraphs');
    },
  })[0];
  if (!out) throw new Error('no output');
  return out;
}

export function infer1(
  op: string,
  inputs: (TypeInfo | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
): TypeInfo | undefined {
  let n = 0;
  return opDef(op).infer({
    node: makeNode(op, attrs, inputs.length),
    opset,
    inputs,
    constants: [],
    freshDim: () => `unk__${n++}`,
    inferSubgraph: () => [],
  })[0];
}

export const t = (dtype: DType, shape: number[], values: ArrayLike<number | bigint | boolean>) =>
  tensorFrom(dtype, shape, values);
export const f32 = (shape: number[], values: ArrayLike<number>) => tensorFrom('float32', shape, values);
export const f64 = (shape: number[], values: ArrayLike<number>) => tensorFrom('float64', shape, values);
export const ti = (dtype: DType, shape?: Dim[]): TypeInfo => ({ dtype, shape });

/** Plain values of a tensor (numbers, or bigints for int64/uint64). */
export const vals = (x: Tensor): (number | bigint | string)[] => Array.from(x.data as ArrayLike<number>);

/** Elementwise closeness with a relative tolerance; NaN must match NaN. */
export function expectClose(actual: Tensor, shape: number[], expected: ArrayLike<number>, tol = 1e-6): void {
  expect([...actual.shape]).toEqual(shape);
  expect(actual.data.length).toBe(expected.length);
  const a = actual.data as ArrayLike<number>;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(a[i]).toBeNaN();
    else if (a[i] !== e && !(Math.abs(a[i]! - e) <= tol * Math.max(1, Math.abs(e))))
      throw new Error(`element ${i}: got ${a[i]}, expected ${e}`);
  }
}

/** Deterministic pseudo-random values in [-1, 1) (LCG), so failures reproduce. */
export function rand(n: number, seed = 1): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(s / 2 ** 31 - 1);
  }
  return out;
}
