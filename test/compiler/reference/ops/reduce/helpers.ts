/** Test helpers: find a reduce-group op and run/infer it on a minimal node. */
import type { Attribute, Node, TypeInfo } from '../../../../../compiler/ir/graph.js';
import type { OpDef } from '../../../../../compiler/reference/op.js';
import { reduceOps } from '../../../../../compiler/reference/ops/reduce/index.js';
import type { Tensor } from '../../../../../runtime/tensor.js';
import { findOp, inferDef, oneNode, runDef } from '../op-harness.js';

export const findDef = (op: string): OpDef => findOp(reduceOps, 'reduceOps', op);

type AttrValue = number | number[] | string | string[] | Attribute;

/** Build attributes from plain values: integers become int(s), other numbers float(s). */
export function attrs(values: Record<string, AttrValue>): Record<string, Attribute> {
  const out: Record<string, Attribute> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'object' && !Array.isArray(v)) out[k] = v;
    else if (typeof v === 'string') out[k] = { type: 'string', value: v };
    else if (typeof v === 'number')
      out[k] = Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
    else if (v.length > 0 && typeof v[0] === 'string') out[k] = { type: 'strings', value: v as string[] };
    else out[k] = { type: 'ints', value: v as number[] };
  }
  return out;
}

export const makeNode = (op: string, nIn: number, nOut: number, a: Record<string, AttrValue> = {}): Node =>
  oneNode(op, attrs(a), nIn, nOut, undefined, `${op}_test`);

export const run = (
  op: string,
  inputs: (Tensor | undefined)[],
  a: Record<string, AttrValue> = {},
  opset = 21,
  nOut = 1,
): Tensor[] =>
  runDef(
    findDef(op),
    oneNode(op, attrs(a), inputs.length, nOut, inputs, `${op}_test`),
    inputs,
    opset,
  ) as Tensor[];

export const infer = (
  op: string,
  inputs: (TypeInfo | undefined)[],
  a: Record<string, AttrValue> = {},
  opset = 21,
  constants: (Tensor | undefined)[] = [],
  nOut = 1,
): (TypeInfo | undefined)[] =>
  inferDef(
    findDef(op),
    oneNode(op, attrs(a), inputs.length, nOut, inputs, `${op}_test`),
    inputs,
    opset,
    constants,
    undefined,
    'd',
  );

export { vals } from '../op-harness.js';

export function expectClose(got: number[], want: number[], tol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  got.forEach((g, i) => {
    const w = want[i]!;
    const ok = (Number.isNaN(g) && Number.isNaN(w)) || g === w || Math.abs(g - w) <= tol * (1 + Math.abs(w));
    if (!ok) throw new Error(`element ${i}: got ${g}, want ${w} (got [${got.join(', ')}])`);
  });
}
