import type { Expr, Stmt } from '../../compiler/kernel/ir.js';
import { exprLoads } from '../../compiler/kernel/ir.js';
import type { Phase } from './parallel.js';
import { addressesApart } from './parallel.js';
import { type Names, f32, i32 } from './wgsl.js';

/**
 * Row reductions as workgroup trees. A phase whose threads are rows (parallel.ts) and whose body is
 * reductions over a long axis — ReduceSum/Mean/Max/…, Softmax's max and sum, LayerNorm's mean and
 * variance, GlobalAveragePool — runs one thread per row, each walking its row alone. Here one
 * workgroup takes a row instead: every thread folds a strided slice of each reduction loop, the
 * partials are combined in workgroup memory (a tree, or a subgroup operation where the device has
 * `subgroups`), and the row-wide loops that write the result (Softmax's exp·inv, LayerNorm's output)
 * are strided over the threads the same way.
 */

/** Threads per workgroup for a row. Measured on lavapipe (docs/webgpu-target.md): 64 beats 128/256. */
export const ROW_WORKGROUP = 64;

/**
 * When a row phase takes a workgroup per row: rows of at least `minLength` elements, at most
 * `maxRows` of them. Measured on lavapipe (bench/webgpu-row-reduce.ts, docs/webgpu-target.md): with
 * more rows one thread per row already keeps the CPU's SIMD lanes busy and is as fast or faster;
 * with few long rows the workgroup wins (one 65536-element ReduceMean 0.69 → 0.26 ms). A real GPU
 * would want far lower bounds; they are not measured on one yet.
 */
export interface RowReduceBounds {
  minLength: number;
  maxRows: number;
}

export const ROW_REDUCE_BOUNDS: RowReduceBounds = { minLength: 4096, maxRows: 8 };

type Combine = 'add' | 'mul' | 'max' | 'min';
type Loop = { v: string; n: number };
type SetStmt = Extract<Stmt, { k: 'set' }>;

/** A statement of the row body: run by every thread, a reduction loop nest, or a loop nest of stores. */
export type RowPart =
  | { k: 'uniform'; stmt: Stmt }
  | { k: 'reduce'; loops: Loop[]; folds: { acc: string; op: Combine; set: SetStmt }[] }
  | { k: 'map'; loops: Loop[]; body: Stmt[] };

export interface RowPlan {
  parts: RowPart[];
  /** The longest reduction's element count. */
  length: number;
}

/** The perfectly nested loops of `s` and the innermost body. */
function nest(s: Extract<Stmt, { k: 'loop' }>): { loops: Loop[]; body: Stmt[] } {
  const loops: Loop[] = [{ v: s.v, n: s.n }];
  let body = s.body;
  while (body.length === 1 && body[0]!.k === 'loop') {
    const l = body[0] as Extract<Stmt, { k: 'loop' }>;
    loops.push({ v: l.v, n: l.n });
    body = l.body;
  }
  return { loops, body };
}

function readsAcc(e: Expr, names: Set<string>): boolean {
  switch (e.k) {
    case 'acc':
      return names.has(e.name);
    case 'cast':
    case 'un':
      return readsAcc(e.a, names);
    case 'bin':
      return readsAcc(e.a, names) || readsAcc(e.b, names);
    case 'select':
      return [e.a, e.b, e.t, e.f].some((x) => readsAcc(x, names));
    case 'load':
      return (e.at.dyn ?? []).some((d) => readsAcc(d.e, names));
    default:
      return false;
  }
}

/** `acc = acc ⊕ e` (or `e ⊕ acc`) with ⊕ associative and commutative, e free of the loop's accumulators. */
function folds(body: Stmt[]): { acc: string; op: Combine; set: SetStmt }[] | undefined {
  if (!body.length || body.some((s) => s.k !== 'set')) return undefined;
  const sets = body as SetStmt[];
  const names = new Set(sets.map((s) => s.acc));
  if (names.size !== sets.length) return undefined;
  const out: { acc: string; op: Combine; set: SetStmt }[] = [];
  for (const s of sets) {
    const v = s.value;
    if (v.k !== 'bin' || !['add', 'mul', 'max', 'min'].includes(v.op)) return undefined;
    const self = (x: Expr) => x.k === 'acc' && x.name === s.acc;
    const other = self(v.a) ? v.b : self(v.b) ? v.a : undefined;
    if (!other || readsAcc(other, names)) return undefined;
    out.push({ acc: s.acc, op: v.op as Combine, set: s });
  }
  return out;
}

function stmtLoads(body: Stmt[]): string[] {
  return body.flatMap((s) => (s.k === 'loop' ? stmtLoads(s.body) : exprLoads(s.value).map((l) => l.buf)));
}

function stmtStores(body: Stmt[]): { buf: string; dyn: boolean }[] {
  return body.flatMap((s) =>
    s.k === 'loop' ? stmtStores(s.body) : s.k === 'store' ? [{ buf: s.buf, dyn: !!s.at.dyn?.length }] : [],
  );
}

/**
 * The row plan of a phase, or undefined when its body is not reductions, per-row scalars and
 * independent store loops (then it keeps one thread per row). A buffer the phase both stores and
 * loads is refused: threads of one workgroup would need storage barriers between the parts.
 */
export function rowPlan(phase: Phase): RowPlan | undefined {
  if (phase.parallel.some((l) => l.n <= 0)) return undefined;
  const stores = stmtStores(phase.body);
  if (stores.some((s) => s.dyn)) return undefined;
  const stored = new Set(stores.map((s) => s.buf));
  if (stmtLoads(phase.body).some((b) => stored.has(b))) return undefined;
  const parts: RowPart[] = [];
  let length = 0;
  for (const s of phase.body) {
    if (s.k !== 'loop') {
      parts.push({ k: 'uniform', stmt: s });
      continue;
    }
    const { loops, body } = nest(s);
    const n = loops.reduce((p, l) => p * l.n, 1);
    const f = folds(body);
    if (f) {
      parts.push({ k: 'reduce', loops, folds: f });
      length = Math.max(length, n);
    } else if (body.every((b) => b.k === 'store') && storesApart(loops, body, phase.parallel)) {
      parts.push({ k: 'map', loops, body });
    } else return undefined;
  }
  return length ? { parts, length } : undefined;
}

/**
 * Whether the stores of a store loop nest write distinct addresses in distinct iterations, so its
 * iterations can be spread over the workgroup. The row's variables are fixed in a workgroup: their
 * terms are dropped before parallel.ts's test (which refuses variables bound outside the nest).
 */
function storesApart(loops: Loop[], body: Stmt[], rowVars: Loop[]): boolean {
  const row = new Set(rowVars.map((l) => l.v));
  const local = body.map((s) =>
    s.k === 'store' ? { ...s, at: { ...s.at, terms: s.at.terms.filter((t) => !row.has(t.v)) } } : s,
  );
  return addressesApart(loops, local);
}

/** The value that leaves a fold unchanged, as a WGSL literal of the accumulator's type. */
function identity(op: Combine, type: string): string {
  const v = op === 'add' ? 0 : op === 'mul' ? 1 : op === 'max' ? -Infinity : Infinity;
  return type === 'i32' ? i32(v) : f32(v);
}

const combine = (op: Combine, a: string, b: string): string =>
  op === 'add' ? `(${a} + ${b})` : op === 'mul' ? `(${a} * ${b})` : `${op}(${a}, ${b})`;

const SUBGROUP_FN: Record<Combine, string> = {
  add: 'subgroupAdd',
  mul: 'subgroupMul',
  max: 'subgroupMax',
  min: 'subgroupMin',
};

/**
 * WGSL for a row body, run by every thread of the workgroup (`lid`: the thread's index). `render`
 * renders statements as loops.ts does; `subgroups` combines partials with subgroup operations
 * (`enable subgroups;`, the builtins `sg_lane` and `sg_size`) rather than a tree.
 */
export function renderRowParts(
  plan: RowPlan,
  vars: Names,
  accs: Names,
  render: (body: Stmt[], indent: string) => string,
  subgroups: boolean,
): { body: string; shared: string[] } {
  const shared: string[] = [];
  const lines: string[] = [];
  const W = ROW_WORKGROUP;
  /** A strided walk of a loop nest: thread t takes flat indexes t, t + W, … */
  const strided = (loops: Loop[], inner: string): string => {
    const n = loops.reduce((p, l) => p * l.n, 1);
    let stride = n;
    const bind = loops.map((l) => {
      stride /= l.n;
      return `      let ${vars.get(l.v)} = (flat / ${stride}) % ${l.n};`;
    });
    return [
      `    for (var flat: i32 = i32(lid); flat < ${n} + zero; flat += ${W}) {`,
      ...bind,
      inner,
      `    }`,
    ].join('\n');
  };
  for (const part of plan.parts) {
    if (part.k === 'uniform') {
      const s = part.stmt;
      const text = render([s], '  ');
      // every thread holds the same per-row values; one of them writes
      lines.push(s.k === 'store' ? `  if (lid == 0u) {\n${render([s], '    ')}\n  }` : text);
    } else if (part.k === 'map') {
      if (part.loops.reduce((p, l) => p * l.n, 1) <= 0) continue;
      lines.push('  {', strided(part.loops, render(part.body, '      ')), '  }');
    } else {
      if (part.loops.reduce((p, l) => p * l.n, 1) <= 0) continue;
      lines.push('  {');
      for (const f of part.folds) {
        const a = accs.get(f.acc);
        const t = accs.types.get(f.acc) === 'i32' ? 'i32' : 'f32';
        lines.push(`    let ${a}_init = ${a};`, `    ${a} = ${identity(f.op, t)};`);
      }
      lines.push(
        strided(
          part.loops,
          render(
            part.folds.map((f) => f.set),
            '      ',
          ),
        ),
      );
      for (const f of part.folds) {
        const a = accs.get(f.acc);
        const t = accs.types.get(f.acc) === 'i32' ? 'i32' : 'f32';
        // one array per fold: no barrier is needed before the next fold reuses workgroup memory
        const wg = `wg${shared.length}`;
        shared.push(`var<workgroup> ${wg}: array<${t}, ${W}>;`);
        lines.push(`    ${wg}[lid] = ${a};`, `    workgroupBarrier();`);
        if (subgroups) {
          // every subgroup folds the whole array (lane k takes k, k + sg_size, …): no leader, no
          // second barrier, and no assumption about how threads are grouped into subgroups
          lines.push(
            `    var ${a}_part = ${identity(f.op, t)};`,
            `    for (var i = 0u; i < ${W}u; i += sg_size) {`,
            `      if (i + sg_lane < ${W}u) { ${a}_part = ${combine(f.op, `${a}_part`, `${wg}[i + sg_lane]`)}; }`,
            `    }`,
            `    ${a} = ${combine(f.op, `${a}_init`, `${SUBGROUP_FN[f.op]}(${a}_part)`)};`,
          );
        } else {
          lines.push(
            `    for (var w = ${W / 2}u; w > 0u; w = w / 2u) {`,
            `      if (lid < w) { ${wg}[lid] = ${combine(f.op, `${wg}[lid]`, `${wg}[lid + w]`)}; }`,
            `      workgroupBarrier();`,
            `    }`,
            `    ${a} = ${combine(f.op, `${a}_init`, `${wg}[0]`)};`,
          );
        }
      }
      lines.push('  }');
    }
  }
  return { body: lines.join('\n'), shared };
}
