/** Test helpers: find a reduce-group op and run/infer it on a minimal node. */
import type { Attribute, Node, TypeInfo } from '../../../../../compiler/ir/graph.js';
import type { InferContext, OpDef, RunContext } from '../../../../../compiler/reference/op.js';
import { reduceOps } from '../../../../../compiler/reference/ops/reduce/index.js';
import { Tensor } from '../../../../../runtime/tensor.js';

export function findDef(op: string): OpDef {
  const def = reduceOps.find((d) => d.op === op);
  if (!def) throw new Error(`op ${op} not in reduceOps`);
  return def;
}

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

export function makeNode(op: string, nIn: number, nOut: number, a: Record<string, AttrValue> = {}): Node {
  return {
    name: `${op}_test`,
    op,
    domain: '',
    inputs: Array.from({ length: nIn }, (_, i) => `in${i}`),
    outputs: Array.from({ length: nOut }, (_, i) => `out${i}`),
    attrs: attrs(a),
  };
}

export function run(
  op: string,
  inputs: (Tensor | undefined)[],
  a: Record<string, AttrValue> = {},
  opset = 21,
  nOut = 1,
): Tensor[] {
  const node = makeNode(op, inputs.length, nOut, a);
  inputs.forEach((t, i) => {
    if (!t) node.inputs[i] = '';
  });
  const ctx: RunContext = {
    node,
    opset,
    runSubgraph: () => {
      throw new Error('no subgraphs');
    },
  };
  return findDef(op).run!(inputs, ctx) as Tensor[];
}

export function infer(
  op: string,
  inputs: (TypeInfo | undefined)[],
  a: Record<string, AttrValue> = {},
  opset = 21,
  constants: (Tensor | undefined)[] = [],
  nOut = 1,
): (TypeInfo | undefined)[] {
  const node = makeNode(op, inputs.length, nOut, a);
  inputs.forEach((t, i) => {
    if (!t) node.inputs[i] = '';
  });
  let fresh = 0;
  const ctx: InferContext = {
    node,
    opset,
    inputs,
    constants,
    freshDim: () => `d${fresh++}`,
    inferSubgraph: () => [],
  };
  return findDef(op).infer(ctx);
}

/** Plain numbers of a tensor (bigints converted), for toEqual/toBeCloseTo checks. */
export function vals(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

export function expectClose(got: number[], want: number[], tol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  got.forEach((g, i) => {
    const w = want[i]!;
    const ok = (Number.isNaN(g) && Number.isNaN(w)) || g === w || Math.abs(g - w) <= tol * (1 + Math.abs(w));
    if (!ok) throw new Error(`element ${i}: got ${g}, want ${w} (got [${got.join(', ')}])`);
  });
}
