import binaryen from 'binaryen';
import { KilnError } from '../../runtime/errors.js';
import type { Affine, Expr, GemmKernel, Kernel, LoopKernel, Stmt } from '../../compiler/kernel/ir.js';
import { coefOf } from '../../compiler/kernel/ir.js';
import { SimdMath } from './simd-math.js';

type M = binaryen.Module;
type X = binaryen.ExpressionRef;
const { i32, f32, v128, none } = binaryen;

export interface RenderOptions {
  /** Use relaxed-SIMD fused multiply-add (f32x4.relaxed_madd) in GEMM; needs runtime support. */
  relaxedSimd: boolean;
  /** Run binaryen's optimiser (-O3 equivalent). */
  optimize: boolean;
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
): Uint8Array {
  const m = new binaryen.Module();
  try {
    m.setFeatures(
      binaryen.Features.SIMD128 |
        binaryen.Features.MutableGlobals |
        (opts.relaxedSimd ? binaryen.Features.RelaxedSIMD : 0),
    );
    m.setMemory(1, -1, null);
    m.addMemoryImport('0', 'env', 'memory');
    const math = new SimdMath(m);
    const names: string[] = [];
    kernels.forEach((k, i) => {
      const name = `k${i}_${k.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
      names.push(name);
      const fn = new FunctionBuilder(m, math, addresses, opts);
      const body = k.kind === 'loops' ? fn.loopKernel(k) : fn.gemm(k);
      m.addFunction(name, none, none, fn.localTypes(), body);
    });
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
    if (!m.validate()) throw new KilnError('internal error: generated WebAssembly does not validate');
    if (opts.optimize) {
      binaryen.setOptimizeLevel(3);
      binaryen.setShrinkLevel(1);
      m.optimize();
    }
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/** Builds one kernel function: locals for loop variables and accumulators, expressions per mode. */
class FunctionBuilder {
  private readonly locals: binaryen.Type[] = [];
  private readonly vars = new Map<string, number>();
  private readonly accs = new Map<string, { index: number; vector: boolean }>();
  private labels = 0;
  /** The GEMM's panel loop variable (column block j), used by its stores and bias loads. */
  private gemmJ = -1;

  constructor(
    private readonly m: M,
    private readonly math: SimdMath,
    private readonly addresses: Map<string, number>,
    private readonly opts: RenderOptions,
  ) {}

  localTypes(): binaryen.Type[] {
    return this.locals;
  }

  private newLocal(type: binaryen.Type): number {
    this.locals.push(type);
    return this.locals.length - 1;
  }

  private address(buf: string): number {
    const a = this.addresses.get(buf);
    if (a === undefined) throw new KilnError(`internal error: buffer '${buf}' has no address`);
    return a;
  }

  loopKernel(k: LoopKernel): X {
    return this.m.block(null, this.stmts(k.body, undefined));
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
        if (s.vector && vectorVar === undefined) {
          const n4 = s.n - (s.n % 4);
          const out: X[] = [];
          if (n4 > 0) out.push(this.countedLoop(v, 0, n4, 4, this.stmts(s.body, s.v)));
          if (n4 < s.n) out.push(this.countedLoop(v, n4, s.n, 1, this.stmts(s.body, undefined)));
          return out;
        }
        return [this.countedLoop(v, 0, s.n, 1, this.stmts(s.body, vectorVar))];
      }
      case 'set': {
        const vector = vectorVar !== undefined;
        let a = this.accs.get(s.acc);
        if (!a || a.vector !== vector) {
          a = { index: this.newLocal(vector ? v128 : f32), vector };
          this.accs.set(s.acc, a);
        }
        return [m.local.set(a.index, this.expr(s.value, vectorVar))];
      }
      case 'store': {
        const value = this.expr(s.value, vectorVar);
        if (vectorVar === undefined)
          return [m.f32.store(this.offset(s.buf, s.at), 4, this.pointer(s.at), value)];
        const c = coefOf(s.at, vectorVar);
        if (c === 1) return [m.v128.store(this.offset(s.buf, s.at), 4, this.pointer(s.at), value)];
        // Strided store: one lane at a time.
        const tmp = this.newLocal(v128);
        const out: X[] = [m.local.set(tmp, value)];
        for (let lane = 0; lane < 4; lane++) {
          out.push(
            m.f32.store(
              this.offset(s.buf, s.at) + 4 * c * lane,
              4,
              this.pointer(s.at),
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

  /** Byte address of an affine index without its constant part (folded into the memory offset). */
  private pointer(at: Affine): X {
    const m = this.m;
    let p: X | undefined;
    for (const t of at.terms) {
      const v = this.vars.get(t.v);
      if (v === undefined)
        throw new KilnError(`internal error: loop variable '${t.v}' used outside its loop`);
      const term = t.c * 4 === 1 ? m.local.get(v, i32) : m.i32.mul(m.local.get(v, i32), m.i32.const(t.c * 4));
      p = p === undefined ? term : m.i32.add(p, term);
    }
    return p ?? m.i32.const(0);
  }

  private offset(buf: string, at: Affine): number {
    const off = this.address(buf) + 4 * at.c;
    if (off < 0) throw new KilnError(`internal error: negative address for '${buf}'`);
    return off;
  }

  private expr(e: Expr, vectorVar: string | undefined): X {
    return vectorVar === undefined ? this.scalar(e) : this.vector(e, vectorVar);
  }

  private scalar(e: Expr): X {
    const m = this.m;
    switch (e.k) {
      case 'const':
        return m.f32.const(e.v);
      case 'load':
        return m.f32.load(this.offset(e.buf, e.at), 4, this.pointer(e.at));
      case 'acc':
        return m.local.get(this.acc(e.name, false), f32);
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
          case 'recip':
            return m.f32.div(m.f32.const(1), a);
          default:
            return m.f32x4.extract_lane(this.math.call(e.op, m.f32x4.splat(a)), 0);
        }
      }
      case 'bin': {
        const a = this.scalar(e.a);
        const b = this.scalar(e.b);
        return {
          add: m.f32.add,
          sub: m.f32.sub,
          mul: m.f32.mul,
          div: m.f32.div,
          max: m.f32.max,
          min: m.f32.min,
        }[e.op](a, b);
      }
      case 'select': {
        const cmp = { lt: m.f32.lt, le: m.f32.le, gt: m.f32.gt, ge: m.f32.ge, eq: m.f32.eq }[e.cmp](
          this.scalar(e.a),
          this.scalar(e.b),
        );
        return m.select(cmp, this.scalar(e.t), this.scalar(e.f));
      }
    }
  }

  private vector(e: Expr, vv: string): X {
    const m = this.m;
    switch (e.k) {
      case 'const':
        return m.f32x4.splat(m.f32.const(e.v));
      case 'load': {
        const c = coefOf(e.at, vv);
        const off = this.offset(e.buf, e.at);
        if (c === 1) return m.v128.load(off, 4, this.pointer(e.at));
        if (c === 0) return m.v128.load32_splat(off, 4, this.pointer(e.at));
        // Strided gather, lane by lane.
        let v = m.f32x4.splat(m.f32.load(off, 4, this.pointer(e.at)));
        for (let lane = 1; lane < 4; lane++)
          v = m.f32x4.replace_lane(v, lane, m.f32.load(off + 4 * c * lane, 4, this.pointer(e.at)));
        return v;
      }
      case 'acc':
        return m.local.get(this.acc(e.name, true), v128);
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
          case 'recip':
            return m.f32x4.div(m.f32x4.splat(m.f32.const(1)), a);
          default:
            return this.math.call(e.op, a);
        }
      }
      case 'bin': {
        const a = this.vector(e.a, vv);
        const b = this.vector(e.b, vv);
        const ops = {
          add: m.f32x4.add,
          sub: m.f32x4.sub,
          mul: m.f32x4.mul,
          div: m.f32x4.div,
          max: m.f32x4.max,
          min: m.f32x4.min,
        };
        return ops[e.op](a, b);
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

  private acc(name: string, vector: boolean): number {
    const a = this.accs.get(name);
    if (!a || a.vector !== vector)
      throw new KilnError(`internal error: accumulator '${name}' read before it is set`);
    return a.index;
  }

  /**
   * Register-blocked GEMM: an MR×8 tile of C lives in 2·MR v128 accumulators; B is pre-packed into
   * panels of 8 columns (`packB`), A rows are broadcast one float at a time (load32_splat). The k loop
   * is not unrolled: V8 spills registers when it is.
   */
  gemm(g: GemmKernel): X {
    const m = this.m;
    const { mr, nr } = g.tile;
    if (nr !== 8) throw new KilnError(`internal error: GEMM tile nr=${nr} (only 8 is implemented)`);
    const vI = this.newLocal(i32);
    const vJ = this.newLocal(i32);
    this.gemmJ = vJ;
    const vK = this.newLocal(i32);
    const aRow = this.newLocal(i32); // byte address of A[i, 0]
    const bPtr = this.newLocal(i32); // byte address of packed B at (panel j, k)
    const b0 = this.newLocal(v128);
    const b1 = this.newLocal(v128);
    const aSplat = this.newLocal(v128);
    const acc = Array.from({ length: mr * 2 }, () => this.newLocal(v128));
    const A = this.address(g.a);
    const B = this.address(g.bPacked);
    const C = this.address(g.c);
    const bias = g.bias !== undefined ? this.address(g.bias) : undefined;
    const panels = Math.ceil(g.n / nr);
    const fullRows = g.m - (g.m % mr);
    const madd = (a: X, b: X, c: X): X =>
      this.opts.relaxedSimd
        ? (binaryen as unknown as { _BinaryenSIMDTernary: (...args: unknown[]) => X })._BinaryenSIMDTernary(
            (m as unknown as { ptr: number }).ptr,
            (binaryen as unknown as { RelaxedMaddVecF32x4: number }).RelaxedMaddVecF32x4,
            a,
            b,
            c,
          )
        : m.f32x4.add(m.f32x4.mul(a, b), c);

    const tile = (rows: number, rowBase: () => X): X => {
      const body: X[] = [];
      // acc = bias (or 0)
      for (let r = 0; r < rows; r++) {
        for (let h = 0; h < 2; h++) {
          const init = bias !== undefined ? this.loadBias(bias, h) : m.f32x4.splat(m.f32.const(0));
          body.push(m.local.set(acc[r * 2 + h]!, init));
        }
      }
      // aRow = A + rowBase*K*4 ; bPtr = B + j*K*32
      body.push(m.local.set(aRow, m.i32.add(m.i32.const(A), m.i32.mul(rowBase(), m.i32.const(g.k * 4)))));
      body.push(
        m.local.set(
          bPtr,
          m.i32.add(m.i32.const(B), m.i32.mul(m.local.get(vJ, i32), m.i32.const(g.k * nr * 4))),
        ),
      );
      const kBody: X[] = [
        m.local.set(b0, m.v128.load(0, 16, m.local.get(bPtr, i32))),
        m.local.set(b1, m.v128.load(16, 16, m.local.get(bPtr, i32))),
      ];
      for (let r = 0; r < rows; r++) {
        kBody.push(m.local.set(aSplat, m.v128.load32_splat(r * g.k * 4, 4, m.local.get(aRow, i32))));
        for (let h = 0; h < 2; h++) {
          const c = acc[r * 2 + h]!;
          kBody.push(
            m.local.set(
              c,
              madd(m.local.get(aSplat, v128), m.local.get(h ? b1 : b0, v128), m.local.get(c, v128)),
            ),
          );
        }
      }
      kBody.push(m.local.set(aRow, m.i32.add(m.local.get(aRow, i32), m.i32.const(4))));
      kBody.push(m.local.set(bPtr, m.i32.add(m.local.get(bPtr, i32), m.i32.const(nr * 4))));
      body.push(this.countedLoop(vK, 0, g.k, 1, kBody));
      // epilogue + store C[rowBase + r, j*8 .. j*8+8)
      for (let r = 0; r < rows; r++) {
        for (let h = 0; h < 2; h++) {
          const val = this.activation(g, m.local.get(acc[r * 2 + h]!, v128));
          body.push(this.storeC(C, g, rowBase, r, h, val));
        }
      }
      return m.block(null, body);
    };

    const out: X[] = [];
    const rowsLoop = (rows: number, start: number, end: number) => {
      if (end <= start) return;
      out.push(
        this.countedLoop(vJ, 0, panels, 1, [
          this.countedLoop(vI, start, end, rows, [tile(rows, () => m.local.get(vI, i32))]),
        ]),
      );
    };
    rowsLoop(mr, 0, fullRows);
    if (fullRows < g.m) rowsLoop(g.m - fullRows, fullRows, g.m);
    return m.block(null, out);
  }

  /** Bias for columns j*8 + h*4 .. +4; the bias buffer is padded to whole panels (see packGemmWeights). */
  private loadBias(bias: number, h: number): X {
    const m = this.m;
    return m.v128.load(bias + h * 16, 4, m.i32.mul(m.local.get(this.gemmJ, i32), m.i32.const(32)));
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

  /** Store 4 columns of a C row; columns past N (the padded tail of the last panel) are skipped. */
  private storeC(C: number, g: GemmKernel, rowBase: () => X, r: number, h: number, val: X): X {
    const m = this.m;
    const tmp = this.newLocal(v128);
    const colLocal = this.newLocal(i32);
    const j = this.gemmJ;
    // col = j*8 + h*4 ; addr = C + ((rowBase + r) * N + col) * 4
    // Binaryen IR is a tree: each use of the address needs its own expression.
    const addr = () =>
      m.i32.add(
        m.i32.const(C),
        m.i32.mul(
          m.i32.add(
            m.i32.mul(m.i32.add(rowBase(), m.i32.const(r)), m.i32.const(g.n)),
            m.local.get(colLocal, i32),
          ),
          m.i32.const(4),
        ),
      );
    const full = () => m.v128.store(0, 4, addr(), m.local.get(tmp, v128));
    const lanes: X[] = [];
    for (let lane = 0; lane < 4; lane++) {
      lanes.push(
        m.if(
          m.i32.lt_s(m.i32.add(m.local.get(colLocal, i32), m.i32.const(lane)), m.i32.const(g.n)),
          m.f32.store(lane * 4, 4, addr(), m.f32x4.extract_lane(m.local.get(tmp, v128), lane)),
        ),
      );
    }
    return m.block(null, [
      m.local.set(tmp, val),
      m.local.set(colLocal, m.i32.add(m.i32.mul(m.local.get(j, i32), m.i32.const(8)), m.i32.const(h * 4))),
      g.n % 8 === 0
        ? full()
        : m.if(
            m.i32.le_s(m.i32.add(m.local.get(colLocal, i32), m.i32.const(4)), m.i32.const(g.n)),
            full(),
            m.block(null, lanes),
          ),
    ]);
  }
}
