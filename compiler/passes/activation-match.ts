/**
 * Finds the activation a group of elementwise nodes computes on one value x: Relu, Clip, x·σ(x),
 * x·HardSigmoid(x), x·clip(x+3, 0, 6)/6, x/2·(1+erf(x/√2)), the tanh GELU, in whatever order an
 * exporter wrote them. Regions are grown from x over elementwise nodes whose other operands are
 * scalar constants; a region is identified structurally when it is a single parametric op, and
 * otherwise by evaluating its expression at sample points spanning every piece of the candidate
 * functions (plus the candidate's op vocabulary), which is order-agnostic where tree matching is not.
 */
import type { Graph, Node } from '../ir/graph.js';
import { type Activation, activationExpr } from './activations.js';
import { type Expr, compileExpr, constant, exprOps, input } from './elementwise-expr.js';
import { dataInputs, nodeExpr } from './elementwise-ops.js';
import { scalarConstant } from './graph-utils.js';

export interface ActivationMatch {
  activation: Activation;
  params: number[];
  /** The nodes computing it (to be removed) and the value holding the result. */
  nodes: Node[];
  output: string;
}

export interface MatchContext {
  graph: Graph;
  opset: number;
  consumers: Map<string, Node[]>;
  graphOutputs: Set<string>;
}

const MAX_REGION_NODES = 16;

/** Ops each multi-node candidate may be written with. */
const VOCABULARY: Partial<Record<Activation, Set<string>>> = {
  relu: new Set(['relu', 'max', 'clip']),
  silu: new Set(['sigmoid', 'mul', 'div', 'exp', 'add', 'neg', 'reciprocal']),
  hard_swish: new Set(['add', 'sub', 'clip', 'mul', 'div', 'relu', 'min', 'max', 'hard_sigmoid']),
  gelu: new Set(['mul', 'div', 'add', 'sub', 'erf']),
  gelu_tanh: new Set(['mul', 'div', 'add', 'sub', 'tanh', 'pow']),
};

/** Points covering the pieces of every candidate (hard_swish breaks at ±3, relu at 0) and far tails. */
const SAMPLES = [
  -1e12, -1e6, -1e4, -100, -20, -8, -6, -4, -3.5, -3, -2.5, -2, -1.5, -1, -0.75, -0.5, -0.25, -0.1, -0.01, 0,
  0.01, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 6, 8, 20, 100, 1e4, 1e6, 1e12,
];

const REFERENCE = new Map(
  (Object.keys(VOCABULARY) as Activation[]).map((a) => [a, sampled(compileExpr(activationExpr(a)))]),
);

function sampled(f: (xs: ArrayLike<number>) => number): number[] {
  return SAMPLES.map((x) => f([x]));
}

function sameValues(a: number[], b: number[]): boolean {
  return a.every((v, i) => {
    const w = b[i]!;
    if (Number.isNaN(v) || Number.isNaN(w)) return Number.isNaN(v) && Number.isNaN(w);
    return Math.abs(v - w) <= 1e-6 * Math.max(1, Math.abs(w));
  });
}

/** The activation an expression of input 0 computes, with its parameters, if it is one. */
export function identifyActivation(e: Expr): { activation: Activation; params: number[] } | undefined {
  const onX = (a: Expr) => a.kind === 'input' && a.index === 0;
  if (e.kind === 'unary' && onX(e.arg) && (e.op === 'relu' || e.op === 'sigmoid' || e.op === 'tanh'))
    return { activation: e.op, params: [] };
  if (e.kind === 'clip' && onX(e.arg)) return { activation: 'clip', params: [e.min, e.max] };
  if (e.kind === 'leaky_relu' && onX(e.arg)) return { activation: 'leaky_relu', params: [e.alpha] };
  if (e.kind === 'hard_sigmoid' && onX(e.arg))
    return { activation: 'hard_sigmoid', params: [e.alpha, e.beta] };
  const ops = exprOps(e);
  const values = sampled(compileExpr(e));
  for (const [activation, vocabulary] of Object.entries(VOCABULARY) as [Activation, Set<string>][]) {
    if (![...ops].every((o) => vocabulary.has(o))) continue;
    if (sameValues(values, REFERENCE.get(activation)!)) return { activation, params: [] };
  }
  return undefined;
}

/**
 * The largest group of elementwise nodes computing an activation of `x`; with `exclusive`, x must
 * have no reader outside the group (so the group can be folded into x's producer).
 */
export function matchActivation(
  ctx: MatchContext,
  x: string,
  exclusive: boolean,
): ActivationMatch | undefined {
  const grown = grow(ctx, x);
  let best: ActivationMatch | undefined;
  for (const last of grown) {
    const nodes = ancestorsWithin(last, grown, x);
    if (best && nodes.length <= best.nodes.length) continue;
    if (!closed(ctx, nodes, last, x, exclusive)) continue;
    const expr = exprOf(ctx, last.outputs[0]!, nodes, x);
    const id = expr && identifyActivation(expr);
    if (id) best = { ...id, nodes, output: last.outputs[0]! };
  }
  return best;
}

/** Elementwise nodes reachable from x whose every data operand is x, a grown value or a scalar. */
function grow(ctx: MatchContext, x: string): Node[] {
  const values = new Set([x]);
  const nodes: Node[] = [];
  const queue = [x];
  while (queue.length && nodes.length < MAX_REGION_NODES) {
    const v = queue.shift()!;
    for (const c of ctx.consumers.get(v) ?? []) {
      if (nodes.includes(c) || c.outputs.length !== 1) continue;
      const ok = dataInputs(c).every((i) => {
        const name = c.inputs[i]!;
        return values.has(name) || scalarConstant(ctx.graph, name) !== undefined;
      });
      if (!ok || !nodeExpr(ctx.graph, c, ctx.opset, () => input(0))) continue;
      nodes.push(c);
      values.add(c.outputs[0]!);
      queue.push(c.outputs[0]!);
    }
  }
  return nodes;
}

/** The nodes of `pool` that `last` needs (itself included). */
function ancestorsWithin(last: Node, pool: Node[], x: string): Node[] {
  const byOutput = new Map(pool.map((n) => [n.outputs[0]!, n]));
  const need = new Set<Node>();
  const visit = (n: Node) => {
    if (need.has(n)) return;
    need.add(n);
    for (const i of n.inputs) {
      const p = i && i !== x ? byOutput.get(i) : undefined;
      if (p) visit(p);
    }
  };
  visit(last);
  return pool.filter((n) => need.has(n));
}

/** Values inside the region are read only inside it (and x too, when exclusive). */
function closed(ctx: MatchContext, nodes: Node[], last: Node, x: string, exclusive: boolean): boolean {
  const inside = new Set(nodes);
  const internal = nodes.filter((n) => n !== last).map((n) => n.outputs[0]!);
  if (exclusive) internal.push(x);
  return internal.every(
    (v) => !ctx.graphOutputs.has(v) && (ctx.consumers.get(v) ?? []).every((c) => inside.has(c)),
  );
}

function exprOf(ctx: MatchContext, v: string, nodes: Node[], x: string): Expr | undefined {
  if (v === x) return input(0);
  const p = nodes.find((n) => n.outputs[0] === v);
  if (!p) {
    const s = scalarConstant(ctx.graph, v);
    return s === undefined ? undefined : constant(s);
  }
  let failed = false;
  const e = nodeExpr(ctx.graph, p, ctx.opset, (i) => {
    const sub = exprOf(ctx, p.inputs[i]!, nodes, x);
    if (!sub) failed = true;
    return sub ?? input(0);
  });
  return failed ? undefined : e;
}
