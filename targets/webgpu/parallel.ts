import type { Affine, Expr, LoopKernel, Stmt } from '../../compiler/kernel/ir.js';
import { exprLoads } from '../../compiler/kernel/ir.js';

/**
 * How a loop kernel runs on a GPU. The kernel IR is sequential; a GPU needs independent threads.
 * Each top-level loop nest becomes one dispatch (a phase; later nests may read what earlier ones
 * wrote, and dispatches are ordered), and the outer loops of a nest that provably never touch
 * another iteration's data become the thread grid. What is left runs sequentially in each thread.
 */
export interface Phase {
  /** Loops mapped to threads, outermost first (each thread runs one point of their product). */
  parallel: { v: string; n: number }[];
  /** The statements each thread runs, with the parallel loop variables bound. */
  body: Stmt[];
}

/**
 * Split a loop kernel into phases. A kernel whose top level is not only loops (an accumulator shared
 * across nests), or whose nests carry an accumulator from one nest to the next, runs as one phase on
 * one thread: correct, if slow.
 */
export function phasesOf(k: LoopKernel): Phase[] {
  const onlyLoops = k.body.every((s) => s.k === 'loop');
  if (!onlyLoops || k.body.some((s) => carriesAccumulator([s]))) return [{ parallel: [], body: k.body }];
  return k.body.map((s) => parallelize(s as Extract<Stmt, { k: 'loop' }>));
}

/** Take the longest chain of perfectly nested outer loops that is safe to run as threads. */
function parallelize(nest: Extract<Stmt, { k: 'loop' }>): Phase {
  const chain: Extract<Stmt, { k: 'loop' }>[] = [nest];
  for (let l = nest; l.body.length === 1 && l.body[0]!.k === 'loop';) {
    l = l.body[0] as Extract<Stmt, { k: 'loop' }>;
    chain.push(l);
  }
  for (let depth = chain.length; depth > 0; depth--) {
    const loops = chain.slice(0, depth);
    const body = loops[depth - 1]!.body;
    if (independent(loops, body)) return { parallel: loops.map((l) => ({ v: l.v, n: l.n })), body };
  }
  return { parallel: [], body: [nest] };
}

/** An accumulator read before this code sets it carries a value between iterations. */
function carriesAccumulator(body: Stmt[], defined = new Set<string>()): boolean {
  const reads = (e: Expr): string[] => {
    switch (e.k) {
      case 'acc':
        return [e.name];
      case 'un':
        return reads(e.a);
      case 'bin':
        return [...reads(e.a), ...reads(e.b)];
      case 'select':
        return [e.a, e.b, e.t, e.f].flatMap(reads);
      default:
        return [];
    }
  };
  for (const s of body) {
    if (s.k === 'loop') {
      if (carriesAccumulator(s.body, defined)) return true;
    } else {
      if (reads(s.value).some((a) => !defined.has(a))) return true;
      if (s.k === 'set') defined.add(s.acc);
    }
  }
  return false;
}

interface Access {
  buf: string;
  at: Affine;
  store: boolean;
}

function accesses(body: Stmt[], out: Access[] = []): Access[] {
  for (const s of body) {
    if (s.k === 'loop') accesses(s.body, out);
    else {
      exprLoads(s.value).forEach((l) => out.push({ ...l, store: false }));
      if (s.k === 'store') out.push({ buf: s.buf, at: s.at, store: true });
    }
  }
  return out;
}

/**
 * Every access of a buffer at the same affine form, one-to-one over all the loop variables (mixed
 * radix: each coefficient beyond the reach of the smaller ones): then no two iterations share an
 * address, even when threads interleave (Softmax over a middle axis: thread stride 1, row stride 3).
 */
function oneInjectiveForm(list: Access[], par: Map<string, number>, body: Stmt[]): boolean {
  const form = (a: Affine) => JSON.stringify([a.c, [...a.terms].sort((x, y) => (x.v < y.v ? -1 : 1))]);
  if (new Set(list.map((a) => form(a.at))).size !== 1) return false;
  const trips = new Map(par);
  const walk = (b: Stmt[]): void =>
    b.forEach((s) => {
      if (s.k === 'loop') {
        trips.set(s.v, Math.max(trips.get(s.v) ?? 0, s.n));
        walk(s.body);
      }
    });
  walk(body);
  const terms = list[0]!.at.terms.map((t) => ({ c: Math.abs(t.c), n: trips.get(t.v) }));
  if (terms.some((t) => t.n === undefined)) return false; // a variable bound outside this nest
  // a thread variable without a term: two threads would meet (an inner one's revisits are in order)
  for (const [v, n] of par) if (n > 1 && !list[0]!.at.terms.some((t) => t.v === v && t.c !== 0)) return false;
  let reach = 0;
  for (const { c, n } of terms.filter((t) => t.n! > 1).sort((a, b) => a.c - b.c)) {
    if (c <= reach) return false;
    reach += c * (n! - 1);
  }
  return true;
}

/** Trip counts of every loop variable inside the body (for index ranges). */
function tripCounts(body: Stmt[], out = new Map<string, number>()): Map<string, number> {
  for (const s of body)
    if (s.k === 'loop') {
      out.set(s.v, s.n);
      tripCounts(s.body, out);
    }
  return out;
}

/**
 * Threads over `loops` are independent when no accumulator crosses iterations and, for every buffer
 * the body stores to, all its accesses move with the parallel variables by the same coefficients,
 * and those coefficients are spaced widely enough (mixed radix, beyond the span the sequential part
 * covers) that two threads' address sets never meet.
 */
function independent(loops: { v: string; n: number }[], body: Stmt[]): boolean {
  return !carriesAccumulator(body) && addressesApart(loops, body);
}

/**
 * The address half of `independent`: every buffer the body stores to is accessed at addresses that
 * two iterations of `loops` never share (accumulators aside: row-reduce.ts's store loops read the
 * row's accumulators, set before the loop).
 */
export function addressesApart(loops: { v: string; n: number }[], body: Stmt[]): boolean {
  const par = new Map(loops.map((l) => [l.v, l.n]));
  const inner = tripCounts(body);
  const all = accesses(body);
  const stored = new Set(all.filter((a) => a.store).map((a) => a.buf));
  // a run-time index into a stored buffer (a scatter's store, or its read-modify-write) may meet
  // another iteration's address: such a nest runs in order, on one thread, as on the CPU
  if (all.some((a) => stored.has(a.buf) && a.at.dyn?.length)) return false;
  for (const buf of stored) {
    const list = all.filter((a) => a.buf === buf);
    if (oneInjectiveForm(list, par, body)) continue;
    const key = (a: Affine) => [...par.keys()].map((v) => a.terms.find((t) => t.v === v)?.c ?? 0).join(',');
    if (new Set(list.map((a) => key(a.at))).size !== 1) return false;
    let lo = Infinity;
    let hi = -Infinity;
    for (const a of list) {
      let min = a.at.c;
      let max = a.at.c;
      for (const t of a.at.terms) {
        if (par.has(t.v)) continue;
        const n = inner.get(t.v);
        if (n === undefined) return false; // a variable bound outside this nest: be safe
        const span = t.c * (n - 1);
        if (span > 0) max += span;
        else min += span;
      }
      lo = Math.min(lo, min);
      hi = Math.max(hi, max);
    }
    const coefs = key(list[0]!.at)
      .split(',')
      .map(Number)
      .map((c, i) => ({ c: Math.abs(c), n: [...par.values()][i]! }))
      .filter((x) => x.n > 1)
      .sort((a, b) => a.c - b.c);
    let reach = hi - lo; // the farthest apart two addresses of one thread can be
    for (const { c, n } of coefs) {
      if (c <= reach) return false;
      reach += c * (n - 1);
    }
  }
  return true;
}
