import type { Affine, Expr, ScalarType, Stmt, UnaryOp } from '../../compiler/kernel/ir.js';
import { KilnError } from '../../runtime/errors.js';

/**
 * WGSL building blocks shared by the loop and template renderers: where a buffer lives, float
 * literals, affine indexes and expressions. Every kernel sees the same two storage buffers:
 * `arena` (activations, inputs, outputs; read_write) and `weights` (read only).
 */

/** Where a kernel buffer lives: which binding, at which element offset. */
export interface BufferPlace {
  binding: 'arena' | 'weights';
  offset: number;
  /**
   * i32 elements are stored as their bits in the f32 word (bitcast on load and store); i64 ones (graph
   * outputs only, see narrow-int64.ts) as two words, low then high, and read as the low word; default f32.
   */
  type?: 'i32' | 'i64';
}

export type Places = Map<string, BufferPlace>;

/**
 * The first words of the weights buffer hold +inf, -inf and NaN: WGSL has no literal for them and
 * constant expressions that overflow are shader-creation errors, so they are read at run time.
 */
export const SPECIAL_WORDS = 4;
const SPECIAL = { inf: 'weights[0]', ninf: 'weights[1]', nan: 'weights[2]' };
export const specialWords = (): Float32Array => Float32Array.of(Infinity, -Infinity, NaN, 0);

/**
 * A zero the shader compiler cannot see through (the fourth special word), added to loop trip counts.
 * Lavapipe's LLVM fully unrolls every loop with a constant trip count, which made a GEMM shader take
 * ~5 s of CPU to compile; an opaque bound keeps loops rolled (compile ~1 s), at little cost on CPUs.
 */
export const OPAQUE_ZERO = 'let zero = i32(weights[3]);';

export const BINDINGS = `@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
`;

export function place(places: Places, buf: string): BufferPlace {
  const p = places.get(buf);
  if (!p) throw new KilnError(`internal error: buffer '${buf}' has no place in the webgpu layout`);
  return p;
}

/** A WGSL f32 literal (or a read of the special words for non-finite values). */
export function f32(v: number): string {
  const x = Math.fround(v);
  if (Number.isNaN(x)) return SPECIAL.nan;
  if (x === Infinity) return SPECIAL.inf;
  if (x === -Infinity) return SPECIAL.ninf;
  if (Object.is(x, -0)) return '-0.0f';
  const s = String(x);
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

/** A WGSL identifier for an IR name (loop variable or accumulator), distinct per IR name. */
export class Names {
  private readonly map = new Map<string, string>();
  /** Accumulators' types (f32 unless set to i32). */
  readonly types = new Map<string, ScalarType>();
  constructor(private readonly prefix: string) {}
  get(name: string): string {
    let id = this.map.get(name);
    if (!id) {
      id = `${this.prefix}${this.map.size}_${name.replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}`;
      this.map.set(name, id);
    }
    return id;
  }
  all(): string[] {
    return [...this.map.values()];
  }
  /** [IR name, WGSL identifier] pairs, in first-use order. */
  entries(): [string, string][] {
    return [...this.map.entries()];
  }
}

/**
 * An i32 literal. ±Infinity (e.g. a max reduction's start, Clip's default bounds) means the type's
 * extreme, as on the wasm target. WGSL has no literal for i32's minimum (-2147483648i is a negated
 * out-of-range literal).
 */
export const i32 = (v: number): string =>
  v === Infinity ? '2147483647i' : v === -Infinity || v === -2147483648 ? '(-2147483647i - 1i)' : `${v}i`;

/**
 * An i32 index expression: the affine form, run-time terms (`dyn`, rendered by `dyn`) and the
 * buffer's offset in its binding.
 */
export function index(at: Affine, offset: number, vars: Names, dyn?: (e: Expr) => string): string {
  const parts = at.terms.map((t) => (t.c === 1 ? vars.get(t.v) : `${vars.get(t.v)} * ${t.c}`));
  for (const d of at.dyn ?? []) {
    if (!dyn) throw new KilnError('internal error: a run-time index term outside a loop kernel');
    parts.push(d.c === 1 ? dyn(d.e) : `${dyn(d.e)} * ${d.c}`);
  }
  const c = at.c + offset;
  if (c !== 0 || parts.length === 0) parts.push(String(c));
  return parts.join(' + ').replace(/\+ -/g, '- ');
}

export function load(
  places: Places,
  buf: string,
  at: Affine,
  vars: Names,
  dyn?: (e: Expr) => string,
): string {
  const p = place(places, buf);
  // an i64 output read back on the GPU: its low word is the value (int64 is computed as i32 and
  // stored sign-extended, see narrow-int64.ts)
  if (p.type === 'i64') return `bitcast<i32>(${p.binding}[${p.offset} + 2 * (${index(at, 0, vars, dyn)})])`;
  const word = `${p.binding}[${index(at, p.offset, vars, dyn)}]`;
  return p.type === 'i32' ? `bitcast<i32>(${word})` : word;
}

/** The f32 word stored for a value of the buffer's type. */
export const storeWord = (p: BufferPlace, value: string): string =>
  p.type === 'i32' ? `bitcast<f32>(${value})` : value;

/**
 * Store a cast to i64 of an f32 or i32 value as its two little-endian words. From f32: truncated; in
 * i32 range through i32, beyond it (where every f32 is a multiple of 256) high = floor(t / 2^32) and
 * low = t - high·2^32, both exact; saturating at ±2^63 only approximately (i32() clamps high).
 */
export function storeI64(p: BufferPlace, at: string, value: string, from: ScalarType | undefined): string {
  const big = 'abs(t) >= 2147483648.0f';
  const hiBig = 'i32(floor(t / 4294967296.0f))';
  const [lo, hi] =
    from === 'i32'
      ? ['bitcast<f32>(q)', 'bitcast<f32>(q >> 31u)']
      : [
          `bitcast<f32>(select(bitcast<u32>(i32(t)), u32(t - f32(${hiBig}) * 4294967296.0f), ${big}))`,
          `bitcast<f32>(select(select(0i, -1i, t < 0.0f), ${hiBig}, ${big}))`,
        ];
  const q = from === 'i32' ? `let q = ${value};` : `let t = trunc(${value});`;
  return `{ ${q} let w = ${p.offset} + 2 * (${at}); ${p.binding}[w] = ${lo}; ${p.binding}[w + 1] = ${hi}; }`;
}

/**
 * The type of an expression (constants are typed by resolveTypes); undefined only when it depends on
 * an accumulator whose type is not known yet (see accumulatorTypes).
 */
export function typeOf(e: Expr, places: Places, accs: Names): ScalarType | undefined {
  switch (e.k) {
    case 'const':
      return e.t ?? 'f32';
    case 'load': {
      const t = place(places, e.buf).type;
      return t === 'i64' ? 'i32' : (t ?? 'f32'); // an i64 is read as its low word
    }
    case 'acc':
      return accs.types.get(e.name);
    case 'cast':
      return e.to;
    case 'un':
      return typeOf(e.a, places, accs);
    case 'bin':
      return typeOf(e.a, places, accs) ?? typeOf(e.b, places, accs);
    case 'select':
      return typeOf(e.t, places, accs) ?? typeOf(e.f, places, accs);
  }
}

/** Fill `accs.types` from the statements that set each accumulator. */
export function accumulatorTypes(body: Stmt[], places: Places, accs: Names): void {
  const walk = (b: Stmt[]): void => {
    for (const s of b) {
      if (s.k === 'loop') walk(s.body);
      else if (s.k === 'set' && !accs.types.has(s.acc)) {
        const t = typeOf(s.value, places, accs);
        if (t) accs.types.set(s.acc, t);
      }
    }
  };
  for (let pass = 0; pass < 3; pass++) walk(body);
}

const UNARY: Record<UnaryOp, (a: string) => string> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `abs(${a})`,
  sqrt: (a) => `sqrt(${a})`,
  exp: (a) => `exp(${a})`,
  log: (a) => `log(${a})`,
  // tanh(±15) is ±1 in f32; clamping keeps implementations that compute it from exp away from inf/inf
  tanh: (a) => `tanh(clamp(${a}, -15.0f, 15.0f))`,
  sigmoid: (a) => `(1.0f / (1.0f + exp(-${a})))`,
  erf: (a) => `kiln_erf(${a})`,
  floor: (a) => `floor(${a})`,
  ceil: (a) => `ceil(${a})`,
  recip: (a) => `(1.0f / ${a})`,
  sin: (a) => `sin(${a})`,
  cos: (a) => `cos(${a})`,
  tan: (a) => `tan(${a})`,
  atan: (a) => `atan(${a})`,
  asin: (a) => `asin(${a})`,
  acos: (a) => `acos(${a})`,
  // WGSL round() rounds half to even, as ONNX Round does
  round: (a) => `round(${a})`,
  not: (a) => `(~${a})`,
};

const CMP = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '==' } as const;

/** Render an expression; `accs` names accumulators, `vars` loop variables. */
export function expr(e: Expr, places: Places, vars: Names, accs: Names): string {
  const r = (x: Expr) => expr(x, places, vars, accs);
  switch (e.k) {
    case 'const':
      return e.t === 'i32' ? i32(e.v) : f32(e.v);
    case 'load':
      return load(places, e.buf, e.at, vars, r);
    case 'cast':
      // f32 → i32 truncates toward zero and saturates (WGSL's conversion), as the IR specifies
      return typeOf(e.a, places, accs) === e.to ? r(e.a) : `${e.to}(${r(e.a)})`;
    case 'acc':
      return accs.get(e.name);
    case 'un':
      return UNARY[e.op](r(e.a));
    case 'bin':
      switch (e.op) {
        case 'add':
          return `(${r(e.a)} + ${r(e.b)})`;
        case 'sub':
          return `(${r(e.a)} - ${r(e.b)})`;
        case 'mul':
          return `(${r(e.a)} * ${r(e.b)})`;
        case 'div':
          return `(${r(e.a)} / ${r(e.b)})`;
        case 'max':
          return `max(${r(e.a)}, ${r(e.b)})`;
        case 'min':
          return `min(${r(e.a)}, ${r(e.b)})`;
        // i32 only (support.ts): % takes the dividend's sign; shift amounts are taken mod 32, as on wasm
        case 'rem':
          return `(${r(e.a)} % ${r(e.b)})`;
        case 'and':
          return `(${r(e.a)} & ${r(e.b)})`;
        case 'or':
          return `(${r(e.a)} | ${r(e.b)})`;
        case 'xor':
          return `(${r(e.a)} ^ ${r(e.b)})`;
        case 'shl':
          return `(${r(e.a)} << (u32(${r(e.b)}) & 31u))`;
        case 'shr_u':
          return `bitcast<i32>(bitcast<u32>(${r(e.a)}) >> (u32(${r(e.b)}) & 31u))`;
      }
      break;
    case 'select':
      return `select(${r(e.f)}, ${r(e.t)}, ${r(e.a)} ${CMP[e.cmp]} ${r(e.b)})`;
  }
  throw new KilnError(`internal error: unknown kernel expression ${JSON.stringify(e)}`);
}

/** Does the expression use erf (so the shader needs the helper)? */
export const usesErf = (source: string): boolean => source.includes('kiln_erf(');

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): WGSL has no erf builtin. */
export const ERF_FN = `fn kiln_erf(x: f32) -> f32 {
  let t = 1.0f / (1.0f + 0.3275911f * abs(x));
  let y = 1.0f - ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t * exp(-x * x);
  return select(-y, y, x >= 0.0f);
}
`;

/** Dispatch size for `count` workgroups: x up to 65535 (the default limit), the rest in y. */
export function grid(count: number): [number, number, number] {
  const x = Math.min(Math.max(count, 1), 65535);
  return [x, Math.ceil(Math.max(count, 1) / x), 1];
}
