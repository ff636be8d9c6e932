/**
 * The expression language of `kiln.Elementwise`: a small tree over the node's inputs (broadcast
 * together) and numeric constants, evaluated per element in float64. It is serialised as JSON in the
 * node's `expression` attribute; targets lower one expression to one kernel.
 */
import { KilnError } from '../../runtime/errors.js';
import { sigmoid } from '../reference/ops/math/activation.js';
import { erf } from '../reference/ops/math/erf.js';

export const UNARY_OPS = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'tanh',
  'sigmoid',
  'erf',
  'relu',
  'abs',
  'reciprocal',
] as const;
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow'] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];

export type Expr =
  | { kind: 'input'; index: number }
  | { kind: 'const'; value: number }
  | { kind: 'unary'; op: UnaryOp; arg: Expr }
  | { kind: 'binary'; op: BinaryOp; lhs: Expr; rhs: Expr }
  /** min(max(x, min), max), as ONNX Clip. */
  | { kind: 'clip'; arg: Expr; min: number; max: number }
  | { kind: 'leaky_relu'; arg: Expr; alpha: number }
  /** max(0, min(1, alpha * x + beta)), as ONNX HardSigmoid. */
  | { kind: 'hard_sigmoid'; arg: Expr; alpha: number; beta: number };

export const input = (index: number): Expr => ({ kind: 'input', index });
export const constant = (value: number): Expr => ({ kind: 'const', value });
export const unary = (op: UnaryOp, arg: Expr): Expr => ({ kind: 'unary', op, arg });
export const binary = (op: BinaryOp, lhs: Expr, rhs: Expr): Expr => ({ kind: 'binary', op, lhs, rhs });

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sigmoid,
  erf,
  relu: (x) => (x < 0 ? 0 : x),
  abs: Math.abs,
  reciprocal: (x) => 1 / x,
};

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  // NaN propagates, as in ONNX Max/Min.
  max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  min: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  pow: Math.pow,
};

/** A closure computing the expression from the input values of one element. */
export function compileExpr(e: Expr): (xs: ArrayLike<number>) => number {
  switch (e.kind) {
    case 'input':
      return (xs) => xs[e.index]!;
    case 'const':
      return () => e.value;
    case 'unary': {
      const f = UNARY[e.op];
      const a = compileExpr(e.arg);
      return (xs) => f(a(xs));
    }
    case 'binary': {
      const f = BINARY[e.op];
      const a = compileExpr(e.lhs);
      const b = compileExpr(e.rhs);
      return (xs) => f(a(xs), b(xs));
    }
    case 'clip': {
      const a = compileExpr(e.arg);
      // As ONNX Clip: NaN stays NaN, and a min above max gives max everywhere.
      return (xs) => Math.min(Math.max(a(xs), e.min), e.max);
    }
    case 'leaky_relu': {
      const a = compileExpr(e.arg);
      return (xs) => {
        const v = a(xs);
        return v < 0 ? e.alpha * v : v;
      };
    }
    case 'hard_sigmoid': {
      const a = compileExpr(e.arg);
      return (xs) => Math.max(0, Math.min(1, e.alpha * a(xs) + e.beta));
    }
  }
}

export function evaluateExpr(e: Expr, xs: ArrayLike<number>): number {
  return compileExpr(e)(xs);
}

/** Number of tree nodes (bounds how much a fusion may duplicate shared subexpressions). */
export function exprSize(e: Expr): number {
  switch (e.kind) {
    case 'input':
    case 'const':
      return 1;
    case 'binary':
      return 1 + exprSize(e.lhs) + exprSize(e.rhs);
    default:
      return 1 + exprSize(e.arg);
  }
}

/** Operation names used in the tree ('add', 'clip', ...), for structural checks. */
export function exprOps(e: Expr, into = new Set<string>()): Set<string> {
  switch (e.kind) {
    case 'input':
    case 'const':
      return into;
    case 'unary':
    case 'binary':
      into.add(e.op);
      break;
    default:
      into.add(e.kind);
  }
  if (e.kind === 'binary') {
    exprOps(e.lhs, into);
    exprOps(e.rhs, into);
  } else exprOps(e.arg, into);
  return into;
}

/** JSON, with non-finite constants (a Clip without a bound is ±Infinity) written as strings. */
export function serializeExpr(e: Expr): string {
  return JSON.stringify(e, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

const NON_FINITE = new Set(['Infinity', '-Infinity', 'NaN']);

/** Parse and validate an `expression` attribute; `inputs` is the node's input count. */
export function parseExpr(text: string, inputs: number): Expr {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new KilnError(`expression is not JSON: ${text.slice(0, 80)}`, { expected: 'a serialised Expr' });
  }
  return validate(raw, inputs);
}

function validate(raw: unknown, inputs: number): Expr {
  const bad = (why: string): never => {
    throw new KilnError(`invalid expression node ${JSON.stringify(raw)?.slice(0, 80)}: ${why}`, {
      expected: 'an Expr as in compiler/passes/elementwise-expr.ts',
    });
  };
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const r = raw as Record<string, unknown>;
  const num = (k: string): number => {
    const v = r[k];
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && NON_FINITE.has(v)) return Number(v);
    return bad(`'${k}' is not a number`);
  };
  switch (r.kind) {
    case 'input': {
      const i = num('index');
      if (!Number.isInteger(i) || i < 0 || i >= inputs) bad(`input index ${i} outside 0..${inputs - 1}`);
      return { kind: 'input', index: i };
    }
    case 'const':
      return { kind: 'const', value: num('value') };
    case 'unary':
      if (!(UNARY_OPS as readonly unknown[]).includes(r.op)) bad(`unknown unary op ${String(r.op)}`);
      return { kind: 'unary', op: r.op as UnaryOp, arg: validate(r.arg, inputs) };
    case 'binary':
      if (!(BINARY_OPS as readonly unknown[]).includes(r.op)) bad(`unknown binary op ${String(r.op)}`);
      return {
        kind: 'binary',
        op: r.op as BinaryOp,
        lhs: validate(r.lhs, inputs),
        rhs: validate(r.rhs, inputs),
      };
    case 'clip':
      return { kind: 'clip', arg: validate(r.arg, inputs), min: num('min'), max: num('max') };
    case 'leaky_relu':
      return { kind: 'leaky_relu', arg: validate(r.arg, inputs), alpha: num('alpha') };
    case 'hard_sigmoid':
      return { kind: 'hard_sigmoid', arg: validate(r.arg, inputs), alpha: num('alpha'), beta: num('beta') };
    default:
      return bad(`unknown kind ${String(r.kind)}`);
  }
}
