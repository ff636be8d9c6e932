import binaryen from 'binaryen';
import type { Affine, Kernel, LoopKernel, Stmt } from '../../compiler/kernel/ir.js';
import { exprLoads } from '../../compiler/kernel/ir.js';
import { SYNC } from '../../runtime/wasm/layout.js';

type M = binaryen.Module;
type X = binaryen.ExpressionRef;
const { i32, none } = binaryen;

/**
 * The threaded module variant: every thread calls the exported `run(tid, nthreads)`, which walks the
 * whole kernel sequence. A parallel kernel takes (tid, nthreads) and does its share of its outermost
 * parallel loops (GEMM: column panels); serial kernels run on thread 0 only. A barrier follows each
 * parallel kernel and each run of serial kernels, so no kernel starts before the one it reads from
 * has finished on every thread.
 */
export interface ThreadedRender {
  /** Linear memory pages: shared memories need a maximum, and the runtime allocates exactly this. */
  memoryPages: number;
  /** Byte address of the synchronisation block (runtime/wasm/layout.ts SYNC). */
  syncOffset: number;
}

/** Sleep in slices of this many ns, re-checking the abort word between them. */
const WAIT_NS = 50_000_000;

/**
 * How a loop kernel runs on several threads: one entry per top-level statement ("phase"), the loop of
 * that phase split across threads, or undefined when the phase runs on thread 0. Phases are separated
 * by barriers. Undefined as a whole (the kernel runs on thread 0) when a top-level statement is not a
 * loop (an accumulator set there would live on one thread only) or no phase can be split.
 */
export function splitLoops(k: LoopKernel): (Stmt | undefined)[] | undefined {
  if (!k.body.every((s) => s.k === 'loop')) return undefined;
  const phases = k.body.map((s) => splitLoop(s));
  return phases.some((p) => p !== undefined) ? phases : undefined;
}

/**
 * The loop of one loop chain to split across threads: the first that runs more than once, descending
 * through single-loop bodies. Its iterations must touch disjoint data: every store moves by more than
 * the whole span of its inner loops per iteration, and a buffer both read and written is only read at
 * the exact element that iteration stores.
 */
function splitLoop(top: Stmt): Stmt | undefined {
  let chosen: (Stmt & { k: 'loop' }) | undefined;
  let at: Stmt | undefined = top;
  while (!chosen && at?.k === 'loop') {
    if (at.n > 1) chosen = at;
    else at = at.body.length === 1 ? at.body[0] : undefined;
  }
  if (!chosen) return undefined;
  const extent = new Map<string, number>();
  const stores: { buf: string; at: Affine }[] = [];
  const loads: { buf: string; at: Affine }[] = [];
  const walk = (stmts: Stmt[]) => {
    for (const s of stmts) {
      if (s.k === 'loop') {
        extent.set(s.v, s.n);
        walk(s.body);
      } else if (s.k === 'store') {
        stores.push({ buf: s.buf, at: s.at });
        exprLoads(s.value, loads);
      } else exprLoads(s.value, loads);
    }
  };
  walk(chosen.body);
  const v = chosen.v;
  for (const st of stores) {
    // a run-time index term (kernel IR `dyn`) could land anywhere: no disjointness to prove
    if (st.at.dyn?.length) return undefined;
    const step = Math.abs(st.at.terms.find((t) => t.v === v)?.c ?? 0);
    const span = st.at.terms
      .filter((t) => t.v !== v)
      .reduce((s, t) => s + Math.abs(t.c) * ((extent.get(t.v) ?? 1) - 1), 0);
    if (step <= span) return undefined;
  }
  const written = new Set(stores.map((s) => s.buf));
  for (const ld of loads) {
    if (!written.has(ld.buf)) continue;
    if (!stores.some((st) => st.buf === ld.buf && sameAffine(st.at, ld.at))) return undefined;
  }
  return chosen;
}

function sameAffine(a: Affine, b: Affine): boolean {
  if (a.dyn?.length || b.dyn?.length) return false;
  if (a.c !== b.c || a.terms.length !== b.terms.length) return false;
  return a.terms.every((t) => b.terms.some((u) => u.v === t.v && u.c === t.c));
}

/** Which kernels split across threads: every GEMM, and loop kernels with a loop to split. */
export function isParallel(k: Kernel): boolean {
  return k.kind === 'gemm' || splitLoops(k) !== undefined;
}

/** binaryen 132's i64.const takes one bigint (its .d.ts still says (low, high)). */
export const i64Const = (m: M, v: number): X => (m.i64.const as unknown as (v: bigint) => X)(BigInt(v));

/**
 * `barrier(nthreads)`: a generation (sense-reversing) barrier on the sync block. The last thread to
 * arrive resets the count, bumps the generation and wakes the sleepers; the others spin briefly, then
 * sleep on the generation word (memory.atomic.wait32), trapping if the abort word is set.
 */
export function addBarrier(m: M, sync: number): void {
  const n = 0;
  const gen = 1;
  const spins = 2;
  const at = (off: number) => m.i32.const(sync + off);
  const get = (l: number) => m.local.get(l, i32);
  const changed = () => m.i32.ne(m.i32.atomic.load(0, at(SYNC.generation)), get(gen));
  const body = m.block(null, [
    m.local.set(gen, m.i32.atomic.load(0, at(SYNC.generation))),
    m.if(
      m.i32.eq(m.i32.atomic.rmw.add(0, at(SYNC.count), m.i32.const(1)), m.i32.sub(get(n), m.i32.const(1))),
      m.block(null, [
        m.i32.atomic.store(0, at(SYNC.count), m.i32.const(0)),
        m.drop(m.i32.atomic.rmw.add(0, at(SYNC.generation), m.i32.const(1))),
        m.drop(m.memory.atomic.notify(at(SYNC.generation), get(n))),
      ]),
      m.block('done', [
        m.local.set(spins, m.i32.const(0)),
        m.loop(
          'wait',
          m.block(null, [
            m.br('done', changed()),
            m.if(m.i32.atomic.load(0, at(SYNC.abort)), m.unreachable()),
            m.if(
              // the spin budget is the runtime's (SYNC.spinLimit): it knows the cores and the threads
              m.i32.lt_u(get(spins), m.i32.atomic.load(0, at(SYNC.spinLimit))),
              m.local.set(spins, m.i32.add(get(spins), m.i32.const(1))),
              m.drop(m.memory.atomic.wait32(at(SYNC.generation), get(gen), i64Const(m, WAIT_NS))),
            ),
            m.br('wait'),
          ]),
        ),
      ]),
    ),
  ]);
  m.addFunction('barrier', i32, none, [i32, i32], body);
}

/**
 * Export `run(tid, nthreads)`: the kernels in order, parallel ones called with (tid, nthreads) on every
 * thread, runs of serial ones on thread 0, a barrier after each.
 */
export function addThreadedRun(m: M, names: string[], parallel: boolean[]): void {
  const tid = () => m.local.get(0, i32);
  const nt = () => m.local.get(1, i32);
  const barrier = () => m.call('barrier', [nt()], none);
  const body: X[] = [];
  let serial: X[] = [];
  const flush = () => {
    if (!serial.length) return;
    body.push(m.if(m.i32.eqz(tid()), m.block(null, serial)), barrier());
    serial = [];
  };
  names.forEach((name, i) => {
    if (!parallel[i]) {
      serial.push(m.call(name, [], none));
      return;
    }
    flush();
    body.push(m.call(name, [tid(), nt()], none), barrier());
  });
  flush();
  m.addFunction('run', binaryen.createType([i32, i32]), none, [], m.block(null, body));
  m.addFunctionExport('run', 'run');
}
