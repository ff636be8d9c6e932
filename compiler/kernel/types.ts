import { KilnError } from '../../runtime/errors.js';
import { type ElemType, type Expr, type LoopKernel, type ScalarType, type Stmt, computeType } from './ir.js';

/** Element type of a buffer, by name (f32 when the lowering did not say otherwise). */
export type BufferTypes = (buf: string) => ElemType;

const mismatch = (kernel: string, what: string, want: ScalarType, got: ScalarType) =>
  new KilnError(`internal error: kernel ${kernel}: ${what} is ${got} where ${want} is expected`);

/**
 * Give every constant of a loop kernel its type from its context (the store's buffer, the other
 * operand of a binary op or comparison), so renderers read explicit types; and check that operand
 * types agree (a mismatch is a lowering bug). Untyped constants with no typed context are f32.
 */
export function resolveTypes(k: LoopKernel, bufType: BufferTypes): void {
  const accs = new Map<string, ScalarType>();
  const natural = (e: Expr): ScalarType | undefined => {
    switch (e.k) {
      case 'const':
        return e.t;
      case 'load':
        return computeType(bufType(e.buf));
      case 'acc':
        return accs.get(e.name);
      case 'cast':
        return e.to;
      case 'un':
        return natural(e.a);
      case 'bin':
        return natural(e.a) ?? natural(e.b);
      case 'select':
        return natural(e.t) ?? natural(e.f);
    }
  };
  const assign = (e: Expr, want: ScalarType): void => {
    switch (e.k) {
      case 'const':
        if (e.t === undefined) e.t = want;
        else if (e.t !== want) throw mismatch(k.name, `constant ${e.v}`, want, e.t);
        return;
      case 'load': {
        const t = computeType(bufType(e.buf));
        if (t !== want) throw mismatch(k.name, `a load of '${e.buf}'`, want, t);
        e.at.dyn?.forEach((d) => assign(d.e, natural(d.e) ?? 'i32'));
        return;
      }
      case 'acc': {
        const t = accs.get(e.name);
        if (t === undefined)
          throw new KilnError(`internal error: accumulator '${e.name}' read before it is set`);
        if (t !== want) throw mismatch(k.name, `accumulator '${e.name}'`, want, t);
        return;
      }
      case 'cast':
        if (e.to !== want) throw mismatch(k.name, 'a cast', want, e.to);
        assign(e.a, natural(e.a) ?? 'f32');
        return;
      case 'un':
        assign(e.a, want);
        return;
      case 'bin':
        assign(e.a, want);
        assign(e.b, want);
        return;
      case 'select': {
        const ct = natural(e.a) ?? natural(e.b) ?? 'f32';
        assign(e.a, ct);
        assign(e.b, ct);
        assign(e.t, want);
        assign(e.f, want);
      }
    }
  };
  const walk = (body: Stmt[]) => {
    for (const s of body) {
      if (s.k === 'loop') walk(s.body);
      else if (s.k === 'store') {
        assign(s.value, computeType(bufType(s.buf)));
        s.at.dyn?.forEach((d) => assign(d.e, natural(d.e) ?? 'i32'));
      } else {
        const t = natural(s.value) ?? accs.get(s.acc) ?? 'f32';
        assign(s.value, t);
        accs.set(s.acc, t);
      }
    }
  };
  walk(k.body);
}

/** The type of an expression whose constants resolveTypes has typed; `accType` gives accumulators'. */
export function exprType(e: Expr, bufType: BufferTypes, accType: (name: string) => ScalarType): ScalarType {
  switch (e.k) {
    case 'const':
      return e.t ?? 'f32';
    case 'load':
      return computeType(bufType(e.buf));
    case 'acc':
      return accType(e.name);
    case 'cast':
      return e.to;
    case 'un':
      return exprType(e.a, bufType, accType);
    case 'bin':
      return exprType(e.a, bufType, accType);
    case 'select':
      return exprType(e.t, bufType, accType);
  }
}

/** Whether a statement list touches only f32 values (the SIMD path's precondition). */
export function onlyF32(body: Stmt[], bufType: BufferTypes): boolean {
  const expr = (e: Expr): boolean => {
    switch (e.k) {
      case 'const':
        return (e.t ?? 'f32') === 'f32';
      case 'load':
        return bufType(e.buf) === 'f32' && !e.at.dyn?.length;
      case 'acc':
        return true;
      case 'cast':
        return false;
      case 'un':
        return expr(e.a);
      case 'bin':
        return expr(e.a) && expr(e.b);
      case 'select':
        return [e.a, e.b, e.t, e.f].every(expr);
    }
  };
  return body.every((s) =>
    s.k === 'loop'
      ? onlyF32(s.body, bufType)
      : s.k === 'store'
        ? bufType(s.buf) === 'f32' && !s.at.dyn?.length && expr(s.value)
        : expr(s.value),
  );
}
