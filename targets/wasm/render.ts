import binaryen from 'binaryen';
import { KilnError } from '../../runtime/errors.js';
import type {
  Affine,
  ElemType,
  Expr,
  GemmBatch,
  GemmKernel,
  Kernel,
  LoopKernel,
  ScalarType,
  Stmt,
} from '../../compiler/kernel/ir.js';
import { coefOf, elemBytes } from '../../compiler/kernel/ir.js';
import { type BufferTypes, onlyF32 } from '../../compiler/kernel/types.js';
import { ScalarTyped } from './scalar-typed.js';
import { SimdMath } from './simd-math.js';
import { type ThreadedRender, addBarrier, addThreadedRun, isParallel, splitLoops } from './threads.js';

type M = binaryen.Module;
type X = binaryen.ExpressionRef;
const { i32, i64, f32, f64, v128, none } = binaryen;
const WASM_TYPE: Record<ScalarType, binaryen.Type> = { i32, i64, f32, f64 };

export interface RenderOptions {
  /** Use relaxed-SIMD fused multiply-add (f32x4.relaxed_madd) in GEMM; needs runtime support. */
  relaxedSimd: boolean;
  /** Run binaryen's optimiser (-O3 equivalent). */
  optimize: boolean;
  /** Render the threaded variant (shared memory, `run(tid, nthreads)`; targets/wasm/threads.ts). */
  threads?: ThreadedRender;
  /** Also export every kernel function as `kernel<i>` (single-threaded only): the per-kernel profiler. */
  exportKernels?: boolean;
}

/**
 * Render kernels into one WebAssembly module. Memory is imported (`env.memory`) so weights stay out of
 * the code: the runtime loads weights.bin at its planned offset. Every buffer has a fixed byte
 * address (`addresses`), so kernels take no parameters; the module exports `run()` which calls the
 * kernels in order.
 */
export function renderWasm(
  kernels: Kernel[],
  addresses: Map<string, number>,
  opts: RenderOptions,
  /** Element types of buffers that are not f32. */
  dtypes: ReadonlyMap<string, ElemType> = new Map(),
): Uint8Array {
  const bufType: BufferTypes = (b) => dtypes.get(b) ?? 'f32';
  const m = new binaryen.Module();
  try {
    const threads = opts.threads;
    m.setFeatures(
      binaryen.Features.SIMD128 |
        binaryen.Features.MutableGlobals |
        binaryen.Features.NontrappingFPToInt |
        (opts.relaxedSimd ? binaryen.Features.RelaxedSIMD : 0) |
        (threads ? binaryen.Features.Atomics : 0),
    );
    if (threads) {
      m.setMemory(1, threads.memoryPages, null, [], true);
      m.addMemoryImport('0', 'env', 'memory', true);
    } else {
      m.setMemory(1, -1, null);
      m.addMemoryImport('0', 'env', 'memory');
    }
    const math = new SimdMath(m);
    const names: string[] = [];
    const parallel = kernels.map((k) => threads !== undefined && isParallel(k));
    kernels.forEach((k, i) => {
      const name = `k${i}_${k.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
      names.push(name);
      const fn = new FunctionBuilder(m, math, addresses, opts, parallel[i]!, bufType);
      const body = k.kind === 'loops' ? fn.loopKernel(k) : fn.gemm(k);
      const params = parallel[i] ? binaryen.createType([i32, i32]) : none;
      m.addFunction(name, params, none, fn.localTypes(), body);
      if (opts.exportKernels && !threads) m.addFunctionExport(name, `kernel${i}`);
    });
    if (threads) {
      addBarrier(m, threads.syncOffset);
      addThreadedRun(m, names, parallel);
    } else {
      m.addFunction(
        'run',
        none,
        none,
        [],
        m.block(
          null,
          names.map((n) => m.call(n, [], none)),
        ),
      );
      m.addFunctionExport('run', 'run');
    }
    if (!m.validate()) throw new KilnError('internal error: generated WebAssembly does not validate');
    if (opts.optimize) {
      binaryen.setOptimizeLevel(3);
      binaryen.setShrinkLevel(1);
      // Keep each kernel its own function: inlining every once-called kernel into run() made one
      // huge function that took binaryen twice as long to optimise and V8 longer to compile at load
      // (mobilenet_v2), for 0.7% smaller code; results are the same either way.
      binaryen.setOneCallerInlineMaxSize(0);
      // ...but do inline the math helpers (exp, sigmoid, erf, ...) into every kernel: V8 (Node 20)
      // does not inline wasm calls, and a call per vector, which spills every live v128 around it,
      // made efficientnet_b0's SiLU kernels 2.7x slower (25 -> 9 ms of its 52).
      binaryen.setAlwaysInlineMaxSize(MATH_INLINE_SIZE);
      for (const name of ['k*', 'barrier']) {
        binaryen.setPassArgument('no-inline', name);
        m.runPasses(['no-inline']);
      }
      binaryen.setPassArgument('no-inline', null);
      m.optimize();
    }
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/** binaryen's "always inline" size bound while optimising: above the largest math helper's. */
const MATH_INLINE_SIZE = 400;

/** Locals of a GEMM kernel function (see FunctionBuilder.gemm). */
interface GemmLocals {
  i: number;
  j: number;
  k: number;
  /** Byte addresses of A at (row tile, k) and B at (k, panel). */
  aPtr: number;
  bPtr: number;
  /** Byte addresses of A, B, C and the bias for the current batch item. */
  aBase: number;
  bBase: number;
  cBase: number;
  biasBase: number;
  b0: number;
  b1: number;
  aSplat: number;
  acc: number[];
}

/** A block of the k loop: its start (an i32 expression), length, and whether it is the first or last. */
interface KBlock {
  k0: () => X;
  len: number;
  first: boolean;
  last: boolean;
}

/** Builds one kernel function: locals for loop variables and accumulators, expressions per mode. */
class FunctionBuilder {
  private readonly locals: binaryen.Type[] = [];
  private readonly vars = new Map<string, number>();
  private readonly accs = new Map<string, { index: number; vector: boolean; type: ScalarType }>();
  private labels = 0;
  /** The loops split across threads (a parallel loop kernel's; see threads.ts). */
  private readonly split = new Set<Stmt>();
  /** Scalar code for non-f32 types (f64, i32, i64 and the storage-only types). */
  private readonly typed: ScalarTyped;

  /**
   * `parallel`: the function takes (tid, nthreads) as locals 0 and 1 and does only its thread's share
   * of its parallel loop.
   */
  constructor(
    private readonly m: M,
    private readonly math: SimdMath,
    private readonly addresses: Map<string, number>,
    private readonly opts: RenderOptions,
    private readonly parallel = false,
    private readonly bufType: BufferTypes = () => 'f32',
  ) {
    this.typed = new ScalarTyped(
      m,
      bufType,
      (t) => this.newLocal(WASM_TYPE[t]),
      (n) => this.accType(n),
    );
  }

  localTypes(): binaryen.Type[] {
    return this.locals;
  }

  private newLocal(type: binaryen.Type): number {
    this.locals.push(type);
    return this.locals.length - 1 + (this.parallel ? 2 : 0);
  }

  private address(buf: string): number {
    const a = this.addresses.get(buf);
    if (a === undefined) throw new KilnError(`internal error: buffer '${buf}' has no address`);
    return a;
  }

  loopKernel(k: LoopKernel): X {
    const phases = this.parallel ? splitLoops(k) : undefined;
    if (!phases) return this.m.block(null, this.stmts(k.body, undefined));
    // threaded: each top-level loop split (or on thread 0 alone), a barrier between them
    const m = this.m;
    const out: X[] = [];
    k.body.forEach((s, i) => {
      const loop = phases[i];
      if (i > 0) out.push(m.call('barrier', [m.local.get(1, i32)], none));
      if (loop) this.split.add(loop);
      const x = this.stmts([s], undefined);
      out.push(loop ? m.block(null, x) : m.if(m.i32.eqz(m.local.get(0, i32)), m.block(null, x)));
    });
    return m.block(null, out);
  }

  private stmts(body: Stmt[], vectorVar: string | undefined): X[] {
    return body.flatMap((s) => this.stmt(s, vectorVar));
  }

  private stmt(s: Stmt, vectorVar: string | undefined): X[] {
    const m = this.m;
    switch (s.k) {
      case 'loop': {
        if (s.n <= 0) return [];
        let v = this.vars.get(s.v);
        if (v === undefined) {
          v = this.newLocal(i32);
          this.vars.set(s.v, v);
        }
        const split = this.split.has(s);
        // only all-f32 loops take the SIMD path; other types render as scalar code
        if (s.vector && vectorVar === undefined && onlyF32(s.body, this.bufType)) {
          const n4 = s.n - (s.n % 4);
          const out: X[] = [];
          if (n4 > 0) {
            const body = this.stmts(s.body, s.v);
            out.push(split ? this.shareLoop(v, n4 / 4, 4, body) : this.countedLoop(v, 0, n4, 4, body));
          }
          if (n4 < s.n) {
            const tail = this.countedLoop(v, n4, s.n, 1, this.stmts(s.body, undefined));
            out.push(split ? this.onLastThread(tail) : tail);
          }
          return out;
        }
        const body = this.stmts(s.body, vectorVar);
        return [split ? this.shareLoop(v, s.n, 1, body) : this.countedLoop(v, 0, s.n, 1, body)];
      }
      case 'set': {
        const vector = vectorVar !== undefined;
        const type = vector ? 'f32' : this.typed.typeOf(s.value);
        let a = this.accs.get(s.acc);
        if (!a || a.vector !== vector || a.type !== type) {
          a = { index: this.newLocal(vector ? v128 : WASM_TYPE[type]), vector, type };
          this.accs.set(s.acc, a);
        }
        return [m.local.set(a.index, this.expr(s.value, vectorVar))];
      }
      case 'store': {
        const value = this.expr(s.value, vectorVar);
        if (vectorVar === undefined)
          return [this.typed.store(this.bufType(s.buf), this.mem(s.buf, s.at), value)];
        const c = coefOf(s.at, vectorVar);
        if (c === 1) return [m.v128.store(...this.mem(s.buf, s.at), value)];
        // Strided store: one lane at a time.
        const tmp = this.newLocal(v128);
        const out: X[] = [m.local.set(tmp, value)];
        for (let lane = 0; lane < 4; lane++) {
          out.push(
            m.f32.store(
              ...this.mem(s.buf, s.at, 4 * c * lane),
              m.f32x4.extract_lane(m.local.get(tmp, v128), lane),
            ),
          );
        }
        return out;
      }
    }
  }

  /** for (v = from; v < to; v += step) body — rendered as a do-while since from < to. */
  private countedLoop(v: number, from: number, to: number, step: number, body: X[]): X {
    const m = this.m;
    const label = `L${this.labels++}`;
    return m.block(null, [
      m.local.set(v, m.i32.const(from)),
      m.loop(
        label,
        m.block(null, [
          ...body,
          m.local.set(v, m.i32.add(m.local.get(v, i32), m.i32.const(step))),
          m.br(label, m.i32.lt_s(m.local.get(v, i32), m.i32.const(to))),
        ]),
      ),
    ]);
  }

  /**
   * This thread's share of `for (v = from; v < from + chunks·step; v += step)`: chunks
   * [tid·chunks/nthreads, (tid+1)·chunks/nthreads), so shares differ by at most one chunk.
   */
  private shareLoop(v: number, chunks: number, step: number, body: X[], from = 0): X {
    const m = this.m;
    const tid = () => m.local.get(0, i32);
    const nt = () => m.local.get(1, i32);
    const bound = (t: X) =>
      m.i32.add(
        m.i32.mul(m.i32.div_u(m.i32.mul(t, m.i32.const(chunks)), nt()), m.i32.const(step)),
        m.i32.const(from),
      );
    const end = this.newLocal(i32);
    const label = `L${this.labels++}`;
    const exit = `E${this.labels++}`;
    return m.block(exit, [
      m.local.set(v, bound(tid())),
      m.local.set(end, bound(m.i32.add(tid(), m.i32.const(1)))),
      m.loop(
        label,
        m.block(null, [
          m.br(exit, m.i32.ge_s(m.local.get(v, i32), m.local.get(end, i32))),
          ...body,
          m.local.set(v, m.i32.add(m.local.get(v, i32), m.i32.const(step))),
          m.br(label),
        ]),
      ),
    ]);
  }

  /** Work that one thread does in a split loop (the remainder): the last thread, which may have less. */
  private onLastThread(x: X): X {
    const m = this.m;
    return m.if(m.i32.eq(m.local.get(0, i32), m.i32.sub(m.local.get(1, i32), m.i32.const(1))), x);
  }

  /**
   * Byte address of an index without its constant part (folded into the memory offset), for elements
   * of `size` bytes; run-time terms (`dyn`) are wrapped to i32 and scaled.
   */
  private pointer(at: Affine, size: number): X {
    const m = this.m;
    let p: X | undefined;
    for (const t of at.terms) {
      const v = this.vars.get(t.v);
      if (v === undefined)
        throw new KilnError(`internal error: loop variable '${t.v}' used outside its loop`);
      const term =
        t.c * size === 1 ? m.local.get(v, i32) : m.i32.mul(m.local.get(v, i32), m.i32.const(t.c * size));
      p = p === undefined ? term : m.i32.add(p, term);
    }
    for (const d of at.dyn ?? []) {
      const e = this.scalar(d.e);
      const idx = this.typed.typeOf(d.e) === 'i64' ? m.i32.wrap(e) : e;
      const term = m.i32.mul(idx, m.i32.const(d.c * size));
      p = p === undefined ? term : m.i32.add(p, term);
    }
    return p ?? m.i32.const(0);
  }

  /**
   * Immediate offset, alignment and pointer of an element access, `extra` bytes on. The buffer's
   * address rides in the immediate, except when a coefficient is negative (reversed slices): the
   * pointer then may go below zero on its own, which wasm's unsigned addressing would not wrap back,
   * so the whole address is computed in the pointer.
   */
  private mem(buf: string, at: Affine, extra = 0): [number, number, X] {
    const size = elemBytes(this.bufType(buf));
    const off = this.offset(buf, at, size) + extra;
    if (off >= 0 && at.terms.every((t) => t.c >= 0) && !at.dyn?.length)
      return [off, size, this.pointer(at, size)];
    return [0, size, this.m.i32.add(this.pointer(at, size), this.m.i32.const(off))];
  }

  private offset(buf: string, at: Affine, size: number): number {
    const off = this.address(buf) + size * at.c;
    if (off < 0) throw new KilnError(`internal error: negative address for '${buf}'`);
    return off;
  }

  private expr(e: Expr, vectorVar: string | undefined): X {
    return vectorVar === undefined ? this.scalar(e) : this.vector(e, vectorVar);
  }

  private scalar(e: Expr): X {
    const m = this.m;
    if (e.k === 'acc') return m.local.get(this.acc(e.name, false), WASM_TYPE[this.accType(e.name)]);
    if (this.typed.typeOf(e) !== 'f32' || e.k === 'cast' || (e.k === 'load' && this.bufType(e.buf) !== 'f32'))
      return this.typed.expr(
        e,
        (x) => this.scalar(x),
        (buf, at) => this.mem(buf, at),
      );
    switch (e.k) {
      case 'const':
        return m.f32.const(e.v);
      case 'load':
        return m.f32.load(...this.mem(e.buf, e.at));
      case 'un': {
        const a = this.scalar(e.a);
        switch (e.op) {
          case 'neg':
            return m.f32.neg(a);
          case 'abs':
            return m.f32.abs(a);
          case 'sqrt':
            return m.f32.sqrt(a);
          case 'floor':
            return m.f32.floor(a);
          case 'ceil':
            return m.f32.ceil(a);
          case 'round':
            return m.f32.nearest(a);
          case 'recip':
            return m.f32.div(m.f32.const(1), a);
          case 'not':
            throw new KilnError('internal error: bitwise not on f32');
          default:
            return m.f32x4.extract_lane(this.math.call(e.op, m.f32x4.splat(a)), 0);
        }
      }
      case 'bin': {
        const a = this.scalar(e.a);
        const b = this.scalar(e.b);
        const op = {
          add: m.f32.add,
          sub: m.f32.sub,
          mul: m.f32.mul,
          div: m.f32.div,
          max: m.f32.max,
          min: m.f32.min,
        }[e.op as 'add'];
        if (!op) throw new KilnError(`internal error: ${e.op} on f32`);
        return op(a, b);
      }
      case 'select':
        return m.select(
          this.typed.compare(e, (x) => this.scalar(x)),
          this.scalar(e.t),
          this.scalar(e.f),
        );
    }
  }

  private vector(e: Expr, vv: string): X {
    const m = this.m;
    switch (e.k) {
      case 'const':
        return m.f32x4.splat(m.f32.const(e.v));
      case 'load': {
        const c = coefOf(e.at, vv);
        if (c === 1) return m.v128.load(...this.mem(e.buf, e.at));
        if (c === 0) return m.v128.load32_splat(...this.mem(e.buf, e.at));
        // Strided gather, lane by lane.
        let v = m.f32x4.splat(m.f32.load(...this.mem(e.buf, e.at)));
        for (let lane = 1; lane < 4; lane++)
          v = m.f32x4.replace_lane(v, lane, m.f32.load(...this.mem(e.buf, e.at, 4 * c * lane)));
        return v;
      }
      case 'acc':
        return m.local.get(this.acc(e.name, true), v128);
      case 'cast':
        throw new KilnError('internal error: a cast in a SIMD loop');
      case 'un': {
        const a = this.vector(e.a, vv);
        switch (e.op) {
          case 'neg':
            return m.f32x4.neg(a);
          case 'abs':
            return m.f32x4.abs(a);
          case 'sqrt':
            return m.f32x4.sqrt(a);
          case 'floor':
            return m.f32x4.floor(a);
          case 'ceil':
            return m.f32x4.ceil(a);
          case 'round':
            return m.f32x4.nearest(a);
          case 'recip':
            return m.f32x4.div(m.f32x4.splat(m.f32.const(1)), a);
          case 'not':
            throw new KilnError('internal error: bitwise not on f32');
          default:
            return this.math.call(e.op, a);
        }
      }
      case 'bin': {
        const a = this.vector(e.a, vv);
        const b = this.vector(e.b, vv);
        const op = {
          add: m.f32x4.add,
          sub: m.f32x4.sub,
          mul: m.f32x4.mul,
          div: m.f32x4.div,
          max: m.f32x4.max,
          min: m.f32x4.min,
        }[e.op as 'add'];
        if (!op) throw new KilnError(`internal error: ${e.op} on f32`);
        return op(a, b);
      }
      case 'select': {
        const cmp = { lt: m.f32x4.lt, le: m.f32x4.le, gt: m.f32x4.gt, ge: m.f32x4.ge, eq: m.f32x4.eq }[e.cmp](
          this.vector(e.a, vv),
          this.vector(e.b, vv),
        );
        return m.v128.bitselect(this.vector(e.t, vv), this.vector(e.f, vv), cmp);
      }
    }
  }

  private accType(name: string): ScalarType {
    const a = this.accs.get(name);
    if (!a) throw new KilnError(`internal error: accumulator '${name}' read before it is set`);
    return a.vector ? 'f32' : a.type;
  }

  private acc(name: string, vector: boolean): number {
    const a = this.accs.get(name);
    if (!a || a.vector !== vector)
      throw new KilnError(`internal error: accumulator '${name}' read before it is set`);
    return a.index;
  }

  /**
   * Register-blocked GEMM: an MR×8 tile of C lives in 2·MR v128 accumulators; each k step loads 8
   * columns of B (two v128) and broadcasts MR floats of A (load32_splat). The k loop is not unrolled:
   * V8 spills registers when it is. B is either pre-packed in 8-column panels (one linear stream) or
   * read in place from a row-major activation (row stride ldb); its last, narrower panel is then loaded
   * with zeroing partial loads so nothing past a row's end is read. Loop order: column panel outer,
   * row tiles inner, so a B panel stays in cache while every row tile of A passes over it.
   */
  gemm(g: GemmKernel): X {
    const m = this.m;
    const { mr, nr } = g.tile;
    if (nr !== 8) throw new KilnError(`internal error: GEMM tile nr=${nr} (only 8 is implemented)`);
    // the wasm lowering never asks for implicit convolutions (LowerOptions.implicitConv)
    if (g.bLayout === 'conv') throw new KilnError(`internal error: GEMM '${g.name}' gathers a conv's B`);
    const L: GemmLocals = {
      i: this.newLocal(i32),
      j: this.newLocal(i32),
      k: this.newLocal(i32),
      aPtr: this.newLocal(i32),
      bPtr: this.newLocal(i32),
      aBase: this.newLocal(i32),
      bBase: this.newLocal(i32),
      cBase: this.newLocal(i32),
      biasBase: this.newLocal(i32),
      b0: this.newLocal(v128),
      b1: this.newLocal(v128),
      aSplat: this.newLocal(v128),
      acc: Array.from({ length: mr * 2 }, () => this.newLocal(v128)),
    };
    const get = (l: number) => m.local.get(l, i32);
    const rows = g.m - (g.m % mr);
    const fullPanels = Math.floor(g.n / nr);
    // threaded: split the full row tiles rather than the column panels when there are more of them
    // (deep layers: resnet18's layer4 has 6 panels and 128 tiles); each thread then also streams only
    // its half of A, the larger operand there
    const splitRows = this.parallel && rows / mr > fullPanels;
    const pass = (kb: KBlock): X[] => {
      const out: X[] = [];
      if (rows > 0) out.push(this.gemmPanels(g, L, kb, mr, 0, rows, fullPanels, splitRows));
      if (rows < g.m) out.push(this.gemmPanels(g, L, kb, g.m - rows, rows, g.m, fullPanels, false));
      return out;
    };
    // K blocking: passes over k blocks of `kc`, each over all of C, so a block of A (M×kc) stays in
    // L2 across column panels. The first pass starts from the bias, later ones from C; the last applies
    // the activation.
    const kc = g.tile.kc ?? g.k;
    const blocks = Math.ceil(g.k / kc);
    const body: X[] = [];
    if (blocks === 1) body.push(...pass({ k0: () => m.i32.const(0), len: g.k, first: true, last: true }));
    else {
      body.push(...pass({ k0: () => m.i32.const(0), len: kc, first: true, last: false }));
      if (blocks > 2) {
        const kb = this.newLocal(i32);
        const k0 = () => m.i32.mul(get(kb), m.i32.const(kc));
        body.push(this.countedLoop(kb, 1, blocks - 1, 1, pass({ k0, len: kc, first: false, last: false })));
      }
      const k0 = (blocks - 1) * kc;
      body.push(...pass({ k0: () => m.i32.const(k0), len: g.k - k0, first: false, last: true }));
    }

    // Batch loops: bases = buffer address + Σ item · stride.
    const batch = g.batch ?? [];
    const vars = batch.map(() => this.newLocal(i32));
    const base = (addr: number, pick: (b: GemmBatch) => number): X =>
      batch.reduce<X>(
        (acc, b, l) => m.i32.add(acc, m.i32.mul(get(vars[l]!), m.i32.const(pick(b) * 4))),
        m.i32.const(addr),
      );
    let out: X = m.block(null, [
      m.local.set(
        L.aBase,
        base(this.address(g.a), (b) => b.a),
      ),
      m.local.set(
        L.bBase,
        base(this.address(g.b), (b) => b.b),
      ),
      m.local.set(
        L.cBase,
        base(this.address(g.c), (b) => b.c),
      ),
      m.local.set(
        L.biasBase,
        base(g.bias !== undefined ? this.address(g.bias) : 0, (b) => b.bias),
      ),
      ...body,
    ]);
    for (let l = batch.length - 1; l >= 0; l--)
      out = this.countedLoop(vars[l]!, 0, batch[l]!.count, 1, [out]);
    return out;
  }

  /**
   * Rows [from, to) in tiles of `rows`, over every column panel (full panels, then the narrow tail).
   * Threaded, each thread takes a share of the column panels, or with `splitRows` of the row tiles:
   * either way disjoint parts of C, the same in every k pass.
   */
  private gemmPanels(
    g: GemmKernel,
    L: GemmLocals,
    kb: KBlock,
    rows: number,
    from: number,
    to: number,
    full: number,
    splitRows: boolean,
  ): X {
    const m = this.m;
    const tile = (width: number) => [this.gemmTile(g, L, kb, rows, width)];
    const rowTiles = (width: number): X =>
      splitRows
        ? this.shareLoop(L.i, (to - from) / rows, rows, tile(width), from)
        : to - from === rows
          ? m.block(null, [m.local.set(L.i, m.i32.const(from)), ...tile(width)])
          : this.countedLoop(L.i, from, to, rows, tile(width));
    const panelsShared = this.parallel && !splitRows;
    const out: X[] = [];
    if (full > 0)
      out.push(
        panelsShared
          ? this.shareLoop(L.j, full, 1, [rowTiles(8)])
          : this.countedLoop(L.j, 0, full, 1, [rowTiles(8)]),
      );
    if (g.n % 8) {
      const tail = m.block(null, [m.local.set(L.j, m.i32.const(full)), rowTiles(g.n % 8)]);
      out.push(panelsShared ? this.onLastThread(tail) : tail);
    }
    return m.block(null, out);
  }

  /** One `rows`×`width` tile of C at row L.i and panel L.j, over the k block `kb`. */
  private gemmTile(g: GemmKernel, L: GemmLocals, kb: KBlock, rows: number, width: number): X {
    const m = this.m;
    const { mr } = g.tile;
    const get = (l: number) => m.local.get(l, i32);
    const halves = width > 4 ? 2 : 1;
    const packedA = g.aLayout === 'packed';
    const packedB = g.bLayout === 'packed';
    const ldb = g.ldb ?? g.n;
    const body: X[] = [];
    // C[i + r, j·8 + h·4 ..], `lanes` of them valid (h·16 and r rows go in the memory offset)
    const cAddr = () =>
      m.i32.add(
        get(L.cBase),
        m.i32.add(m.i32.mul(get(L.i), m.i32.const(g.n * 4)), m.i32.mul(get(L.j), m.i32.const(32))),
      );
    const cOff = (r: number, h: number) => (r * g.n + h * 4) * 4;
    // accumulators = bias (per column or per row) or 0; after the first k block, C so far
    for (let r = 0; r < rows; r++) {
      for (let h = 0; h < halves; h++) {
        let init: X;
        if (!kb.first) init = this.loadPartial(cOff(r, h), cAddr, Math.min(4, width - 4 * h));
        else if (g.bias === undefined) init = m.f32x4.splat(m.f32.const(0));
        else if (g.biasPer === 'column')
          init = m.v128.load(h * 16, 4, m.i32.add(get(L.biasBase), m.i32.mul(get(L.j), m.i32.const(32))));
        else
          init = m.v128.load32_splat(
            r * 4,
            4,
            m.i32.add(get(L.biasBase), m.i32.mul(get(L.i), m.i32.const(4))),
          );
        body.push(m.local.set(L.acc[r * 2 + h]!, init));
      }
    }
    // A tile: row-major rows start at i·K; a packed tile of rows i.. also starts at i·K (tiles of mr·K).
    const aStep = packedA ? mr * 4 : 4;
    const bStep = packedB ? 32 : ldb * 4;
    body.push(
      m.local.set(
        L.aPtr,
        m.i32.add(
          m.i32.add(get(L.aBase), m.i32.mul(get(L.i), m.i32.const(g.k * 4))),
          m.i32.mul(kb.k0(), m.i32.const(aStep)),
        ),
      ),
    );
    body.push(
      m.local.set(
        L.bPtr,
        m.i32.add(
          m.i32.add(get(L.bBase), m.i32.mul(get(L.j), m.i32.const(packedB ? g.k * 32 : 32))),
          m.i32.mul(kb.k0(), m.i32.const(bStep)),
        ),
      ),
    );
    const loadB = (h: number): X =>
      packedB
        ? m.v128.load(h * 16, 4, get(L.bPtr))
        : this.loadPartial(h * 16, () => get(L.bPtr), width - 4 * h);
    const kBody: X[] = [m.local.set(L.b0, loadB(0))];
    if (halves === 2) kBody.push(m.local.set(L.b1, loadB(1)));
    for (let r = 0; r < rows; r++) {
      const aOff = packedA ? r * 4 : r * g.k * 4;
      kBody.push(m.local.set(L.aSplat, m.v128.load32_splat(aOff, 4, get(L.aPtr))));
      for (let h = 0; h < halves; h++) {
        const c = L.acc[r * 2 + h]!;
        const b = m.local.get(h ? L.b1 : L.b0, v128);
        kBody.push(m.local.set(c, this.madd(m.local.get(L.aSplat, v128), b, m.local.get(c, v128))));
      }
    }
    kBody.push(m.local.set(L.aPtr, m.i32.add(get(L.aPtr), m.i32.const(aStep))));
    kBody.push(m.local.set(L.bPtr, m.i32.add(get(L.bPtr), m.i32.const(bStep))));
    body.push(this.countedLoop(L.k, 0, kb.len, 1, kBody));
    // epilogue (after the last k block), then store only the `width` valid columns
    for (let r = 0; r < rows; r++) {
      for (let h = 0; h < halves; h++) {
        const lanes = Math.min(4, width - 4 * h);
        const acc = m.local.get(L.acc[r * 2 + h]!, v128);
        const val = kb.last && lanes < 4 ? this.activation(g, acc) : acc; // full vectors: below
        if (lanes === 4) {
          body.push(m.v128.store(cOff(r, h), 4, cAddr(), val));
          continue;
        }
        const tmp = this.newLocal(v128);
        body.push(m.local.set(tmp, val));
        for (let lane = 0; lane < lanes; lane++) {
          const v = m.f32x4.extract_lane(m.local.get(tmp, v128), lane);
          body.push(m.f32.store(cOff(r, h) + lane * 4, 4, cAddr(), v));
        }
      }
    }
    // The activation of full vectors is a second pass over the stored tile (it is in L1): applied to
    // the accumulators before their store, it made V8 allocate registers worse in the k loop above
    // (resnet18's Conv+Relu GEMMs ran at 17.5 GFLOP/s against 28 for the same shapes without, even with
    // a single-instruction pmax); stored raw and re-read, they run as fast as the plain ones.
    if (kb.last && g.activation.kind !== 'none')
      for (let r = 0; r < rows; r++)
        for (let h = 0; h < halves; h++) {
          if (width - 4 * h < 4) continue; // partial vectors got theirs before the lane stores
          const c = m.v128.load(cOff(r, h), 4, cAddr());
          body.push(m.v128.store(cOff(r, h), 4, cAddr(), this.activation(g, c)));
        }
    return m.block(null, body);
  }

  /** `lanes` (1..4) floats at ptr + off into a v128, zeroing the rest and reading nothing past them. */
  private loadPartial(off: number, ptr: () => X, lanes: number): X {
    const m = this.m;
    if (lanes >= 4) return m.v128.load(off, 4, ptr());
    if (lanes === 1) return m.v128.load32_zero(off, 4, ptr());
    const two = m.v128.load64_zero(off, 4, ptr());
    return lanes === 2 ? two : m.f32x4.replace_lane(two, 2, m.f32.load(off + 8, 4, ptr()));
  }

  /** c + a·b: relaxed FMA when the variant allows it, else mul then add. */
  private madd(a: X, b: X, c: X): X {
    const m = this.m;
    if (!this.opts.relaxedSimd) return m.f32x4.add(m.f32x4.mul(a, b), c);
    return (binaryen as unknown as { _BinaryenSIMDTernary: (...args: unknown[]) => X })._BinaryenSIMDTernary(
      (m as unknown as { ptr: number }).ptr,
      (binaryen as unknown as { RelaxedMaddVecF32x4: number }).RelaxedMaddVecF32x4,
      a,
      b,
      c,
    );
  }

  private activation(g: GemmKernel, v: X): X {
    const m = this.m;
    const splat = (c: number) => m.f32x4.splat(m.f32.const(c));
    switch (g.activation.kind) {
      case 'none':
        return v;
      case 'relu':
        return m.f32x4.max(v, splat(0));
      case 'clip':
        return m.f32x4.min(m.f32x4.max(v, splat(g.activation.min)), splat(g.activation.max));
      case 'leaky_relu': {
        const tmp = this.newLocal(v128);
        return m.block(
          null,
          [
            m.local.set(tmp, v),
            m.v128.bitselect(
              m.local.get(tmp, v128),
              m.f32x4.mul(m.local.get(tmp, v128), splat(g.activation.alpha)),
              m.f32x4.gt(m.local.get(tmp, v128), splat(0)),
            ),
          ],
          v128,
        );
      }
    }
  }
}
