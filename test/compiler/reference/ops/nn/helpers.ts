/** Test helpers: call an nn OpDef's run/infer directly with a minimal node and context. */
import { expect } from 'vitest';
import type { Attribute, Dim, Node, TypeInfo } from '../../../../../compiler/ir/graph.js';
import { nnOps } from '../../../../../compiler/reference/ops/nn/index.js';
import type { OpDef } from '../../../../../compiler/reference/op.js';
import { Tensor, tensorFrom } from '../../../../../runtime/tensor.js';
import type { DType } from '../../../../../runtime/dtype.js';

export const int = (value: number): Attribute => ({ type: 'int', value });
export const float = (value: number): Attribute => ({ type: 'float', value });
export const ints = (value: number[]): Attribute => ({ type: 'ints', value });
export const floats = (value: number[]): Attribute => ({ type: 'floats', value });
export const str = (value: string): Attribute => ({ type: 'string', value });

export function opDef(op: string): OpDef {
  const d = nnOps.find((o) => o.op === op);
  if (!d) throw new Error(`op ${op} not in nnOps`);
  return d;
}

export function makeNode(op: string, attrs: Record<string, Attribute> = {}, nIn = 3, nOut = 3): Node {
  return {
    name: `test_${op}`,
    op,
    domain: '',
    inputs: Array.from({ length: nIn }, (_, i) => `in${i}`),
    outputs: Array.from({ length: nOut }, (_, i) => `out${i}`),
    attrs,
  };
}

export function run(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
  nOut = 3,
): (Tensor | undefined)[] {
  const node = makeNode(op, attrs, inputs.length, nOut);
  return opDef(op).run!(inputs, {
    node,
    opset,
    runSubgraph: () => {
      throw new Error('no subgraphs');
    },
  });
}

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

export function infer(
  op: string,
  inputs: (TypeInfo | undefined)[],
  attrs: Record<string, Attribute> = {},
  opset = 21,
  constants: (Tensor | undefined)[] = [],
): (TypeInfo | undefined)[] {
  let n = 0;
  return opDef(op).infer({
    node: makeNode(op, attrs, inputs.length),
    opset,
    inputs,
    constants,
    freshDim: () => `unk__${n++}`,
    inferSubgraph: () => [],
  });
}

export const t = (dtype: DType, shape: number[], values: ArrayLike<number | bigint | boolean>) =>
  tensorFrom(dtype, shape, values);
export const f32 = (shape: number[], values: ArrayLike<number>) => tensorFrom('float32', shape, values);
export const ti = (dtype: DType, shape?: Dim[]): TypeInfo => ({ dtype, shape });

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

export function expectClose(actual: Tensor, shape: number[], expected: ArrayLike<number>, tol = 1e-5): void {
  expect([...actual.shape]).toEqual(shape);
  expect(actual.data.length).toBe(expected.length);
  const a = actual.data as ArrayLike<number>;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(a[i]).toBeNaN();
    else if (Math.abs(a[i]! - e) > tol * Math.max(1, Math.abs(e)))
      throw new Error(`element ${i}: got ${a[i]}, expected ${e}`);
  }
}
