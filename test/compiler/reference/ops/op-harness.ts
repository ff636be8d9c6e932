/**
 * What every op group's test helpers share: attribute constructors, a one-node harness that calls an
 * OpDef's run/runValues/infer directly (no graph, no executor), tensor constructors and a seeded PRNG.
 * Each group's helpers.ts binds this to its op list and keeps the call shapes its tests use.
 */
import { expect } from 'vitest';
import type { Attribute, Dim, Graph, Node, TypeInfo } from '../../../../compiler/ir/graph.js';
import type { OpDef } from '../../../../compiler/reference/op.js';
import type { Value } from '../../../../compiler/reference/value.js';
import type { DType } from '../../../../runtime/dtype.js';
import { type Tensor, tensorFrom } from '../../../../runtime/tensor.js';

export const int = (value: number): Attribute => ({ type: 'int', value });
export const float = (value: number): Attribute => ({ type: 'float', value });
export const ints = (value: number[]): Attribute => ({ type: 'ints', value });
export const floats = (value: number[]): Attribute => ({ type: 'floats', value });
export const str = (value: string): Attribute => ({ type: 'string', value });
export const strs = (value: string[]): Attribute => ({ type: 'strings', value });

export const t = (dtype: DType, shape: number[], values: ArrayLike<number | bigint | boolean>) =>
  tensorFrom(dtype, shape, values);
export const f32 = (shape: number[], values: ArrayLike<number>) => tensorFrom('float32', shape, values);
export const f64 = (shape: number[], values: ArrayLike<number>) => tensorFrom('float64', shape, values);
export const ti = (dtype: DType, shape?: Dim[]): TypeInfo => ({ dtype, shape });

/** Plain values of a tensor as numbers (bigints converted). */
export const vals = (x: Tensor): number[] => Array.from(x.data as ArrayLike<number | bigint>, Number);

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

/** The op named `op` in a group's op list; a typo in a test fails loudly. */
export function findOp(ops: readonly OpDef[], group: string, op: string): OpDef {
  const d = ops.find((o) => o.op === op);
  if (!d) throw new Error(`op ${op} not in ${group}`);
  return d;
}

/**
 * A node with inputs in0.. and outputs out0..; an `undefined` entry of `present` leaves that input
 * name empty (an omitted optional input, as ONNX writes it).
 */
export function oneNode(
  op: string,
  attrs: Record<string, Attribute>,
  nIn: number,
  nOut: number,
  present?: readonly unknown[],
  name = `test_${op}`,
): Node {
  return {
    name,
    op,
    domain: '',
    inputs: Array.from({ length: nIn }, (_, i) => (present && present[i] === undefined ? '' : `in${i}`)),
    outputs: Array.from({ length: nOut }, (_, i) => `out${i}`),
    attrs,
  };
}

/** Run an OpDef on one node (subgraphs refused: control-flow tests go through the executor). */
export function runDef(
  def: OpDef,
  node: Node,
  inputs: (Value | undefined)[],
  opset: number,
): (Value | undefined)[] {
  const ctx = {
    node,
    opset,
    runSubgraph: () => {
      throw new Error('no subgraphs');
    },
  };
  if (def.runValues) return def.runValues(inputs, ctx);
  return def.run!(inputs as (Tensor | undefined)[], ctx);
}

/** Infer an OpDef's outputs on one node; fresh dims are named `${prefix}0`, `${prefix}1`, ... */
export function inferDef(
  def: OpDef,
  node: Node,
  inputs: (TypeInfo | undefined)[],
  opset: number,
  constants: (Tensor | undefined)[] = [],
  inferSubgraph: (g: Graph, ins: (TypeInfo | undefined)[]) => (TypeInfo | undefined)[] = () => [],
  prefix = 'unk__',
): (TypeInfo | undefined)[] {
  let n = 0;
  return def.infer({ node, opset, inputs, constants, freshDim: () => `${prefix}${n++}`, inferSubgraph });
}

/**
 * A tensor's shape and values against expected ones: relative tolerance `tol` (absolute below 1),
 * NaN only where NaN is expected, infinities equal.
 */
export function expectValues(
  actual: Tensor,
  shape: number[],
  expected: ArrayLike<number>,
  tol: number,
): void {
  expect([...actual.shape]).toEqual(shape);
  const a = vals(actual);
  expect(a.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(a[i]).toBeNaN();
    else if (a[i] !== e && !(Math.abs(a[i]! - e) <= tol * Math.max(1, Math.abs(e))))
      throw new Error(
        `element ${i}: got ${a[i]}, expected ${e}${a.length <= 64 ? ` (all: ${a.join(',')})` : ''}`,
      );
  }
}
