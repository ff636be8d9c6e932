import type { Affine, Expr, Kernel, Stmt } from '../../compiler/kernel/ir.js';
import { KilnError } from '../../runtime/errors.js';

/** A 64-bit element type the webgpu target computes as its 32-bit sibling (narrow-float64.ts, narrow-int64.ts). */
export interface Narrowing {
  from: 'f64' | 'i64';
  to: 'f32' | 'i32';
  /** Whether a constant of `from` keeps its value as `to` (a constant that does not is a compile error). */
  fits(v: number): boolean;
  /** Message and expectation for a constant that does not fit. */
  misfit(v: number): { message: string; expected: string };
}

/**
 * Retype a kernel for a narrowing: its `narrowed` buffers, every `from` constant (checked) and cast.
 * `store` may rewrite the stores to some buffers (given the narrowing expression and address
 * rewriters); by default a store's value and run-time address terms are narrowed like any expression.
 */
export function narrowKernel(
  k: Kernel,
  narrowed: ReadonlySet<string>,
  n: Narrowing,
  store?: (
    s: Extract<Stmt, { k: 'store' }>,
    e: (x: Expr) => Expr,
    at: (a: Affine) => Affine,
  ) => Stmt | undefined,
): Kernel {
  const buffers = k.buffers.map((b) => (narrowed.has(b.name) ? { ...b, dtype: n.to } : b));
  if (k.kind !== 'loops') return { ...k, buffers };
  const fail = (v: number) => {
    const { message, expected } = n.misfit(v);
    return new KilnError(`${k.name} ${message}`, { node: k.nodes[0], op: k.name, expected });
  };
  const e = (x: Expr): Expr => narrowExpr(x, n, fail);
  const at = (a: Affine): Affine =>
    a.dyn?.length ? { ...a, dyn: a.dyn.map((d) => ({ ...d, e: e(d.e) })) } : a;
  const stmt = (s: Stmt): Stmt => {
    switch (s.k) {
      case 'loop':
        return { ...s, body: s.body.map(stmt) };
      case 'set':
        return { ...s, value: e(s.value) };
      case 'store':
        return store?.(s, e, at) ?? { ...s, at: at(s.at), value: e(s.value) };
    }
  };
  return { ...k, buffers, body: k.body.map(stmt) };
}

function narrowExpr(x: Expr, n: Narrowing, fail: (v: number) => KilnError): Expr {
  const r = (y: Expr) => narrowExpr(y, n, fail);
  switch (x.k) {
    case 'const':
      if (x.t !== n.from) return x;
      if (!n.fits(x.v)) throw fail(x.v);
      return { ...x, t: n.to };
    case 'cast':
      return { k: 'cast', to: x.to === n.from ? n.to : x.to, a: r(x.a) };
    case 'load':
      return x.at.dyn?.length
        ? { ...x, at: { ...x.at, dyn: x.at.dyn.map((d) => ({ ...d, e: r(d.e) })) } }
        : x;
    case 'acc':
      return x;
    case 'un':
      return { ...x, a: r(x.a) };
    case 'bin':
      return { ...x, a: r(x.a), b: r(x.b) };
    case 'select':
      return { ...x, a: r(x.a), b: r(x.b), t: r(x.t), f: r(x.f) };
  }
}
