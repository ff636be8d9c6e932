import type { Affine, Expr, ScalarType, Stmt, UnaryOp } from '../../compiler/kernel/ir.js';
import { KilnError } from '../../runtime/errors.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../runtime/half.js';

/**
 * WGSL building blocks shared by the loop and template renderers: where a buffer lives, float
 * literals, affine indexes and expressions. Every kernel sees the same two storage buffers:
 * `arena` (activations, inputs, outputs; read_write) and `weights` (read only).
 */

/** Where a kernel buffer lives: which binding, at which element offset. */
export interface BufferPlace {
  /** `arena16`/`weights16`: the f16 bindings of an fp16 build (half-precision.ts), `f16` elements. */
  binding: 'arena' | 'weights' | 'arena16' | 'weights16';
  offset: number;
  /**
   * i32 elements are stored as their bits in the f32 word (bitcast on load and store); i64 ones (graph
   * outputs only, see narrow-int64.ts) as two words, low then high, and read as the low word; f16 ones
   * (fp16 builds) as WGSL f16 in the f16 bindings; default f32.
   */
  type?: 'i32' | 'i64' | 'f16';
  /**
   * An f32 word holding a float16 graph value (widen-float16.ts: shader-f16 is optional and lavapipe
   * lacks it): every f32 store rounds to float16 (kiln_f16).
   */
  roundF16?: boolean;
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

/**
 * An fp16 build's bindings: the two word buffers (i32 values, f32 graph inputs and outputs, the
 * special words) and two f16 ones (activations and weights stored as f16; their first four halves are
 * the f16 +inf, -inf, NaN and 0).
 */
export const BINDINGS_F16 = `enable f16;
${BINDINGS}@group(0) @binding(2) var<storage, read_write> arena16: array<f16>;
@group(0) @binding(3) var<storage, read> weights16: array<f16>;
`;

/** WGSL compute precision of a build: fp32, or fp16 (f16 storage and elementwise math). */
export type Precision = 'fp32' | 'fp16';

export const bindingsFor = (precision: Precision): string => (precision === 'fp16' ? BINDINGS_F16 : BINDINGS);

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

/** The largest finite f16. */
export const F16_MAX = 65504;
/** The smallest normal f16: below it f16 keeps fewer than 11 significant bits. */
const F16_MIN_NORMAL = 2 ** -14;

/**
 * A literal i32 made opaque (`| zero`): `bitcast<f32>` of a constant is evaluated when the shader is
 * created, and WGSL refuses one whose bits are a NaN (-1, -128, ...: storing such a constant failed).
 */
const opaqueIfLiteral = (value: string): string =>
  /^[\d\s()+\-*&^|iu]*$/.test(value) ? `(${value} | zero)` : value;

/** The word (or half) stored for a value of the buffer's type, rendered in `from` precision. */
export const storeWord = (p: BufferPlace, value: string, from: FloatWidth = 'f32'): string =>
  p.roundF16 && p.type === undefined && from === 'f32'
    ? `kiln_f16(${value})`
    : p.type === 'i32'
      ? `bitcast<f32>(${opaqueIfLiteral(value)})`
      : p.type === 'f16'
        ? from === 'f16'
          ? value
          : // WGSL leaves an f32 → f16 conversion beyond f16's range indeterminate: saturate first
            `f16(clamp(${value}, -${F16_MAX}.0f, ${F16_MAX}.0f))`
        : from === 'f16'
          ? `f32(${value})`
          : value;

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
      // an i64 is read as its low word; an f16 is a float value (computed in f16 or f32, floatWidth)
      return t === 'i64' ? 'i32' : t === 'f16' ? 'f32' : (t ?? 'f32');
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

/** The WGSL float type a float expression is computed in: f32, or f16 in an fp16 build. */
export type FloatWidth = 'f16' | 'f32';

/**
 * Unary ops an fp16 build evaluates in f32: WGSL's f16 versions may be coarser approximations, f16 exp
 * overflows beyond 11, and sigmoid/tanh/erf are built from exp.
 */
const F32_UNARY = new Set<UnaryOp>([
  'exp',
  'log',
  'tanh',
  'sigmoid',
  'erf',
  'sin',
  'cos',
  'tan',
  'atan',
  'asin',
  'acos',
]);

const joinWidth = (a: FloatWidth | undefined, b: FloatWidth | undefined): FloatWidth | undefined =>
  a === 'f32' || b === 'f32' ? 'f32' : (a ?? b);

/**
 * The width a float expression needs (undefined when only constants decide, which then take their
 * context's). An fp16 build computes an expression in f16 when every value in it is: loads of f16
 * buffers and constants f16 represents to 11 bits; anything else (an accumulator — always f32 —, an
 * f32 buffer, a float made from an int, an op of F32_UNARY, a constant beyond f16) makes the whole
 * expression f32, f16 loads converted at the leaves. Without f16 buffers everything is f32.
 */
export function floatWidth(e: Expr, places: Places, accs: Names): FloatWidth | undefined {
  const r = (x: Expr) => floatWidth(x, places, accs);
  switch (e.k) {
    case 'const': {
      const v = Math.abs(e.v);
      return Number.isFinite(v) && (v > F16_MAX || (v !== 0 && v < F16_MIN_NORMAL)) ? 'f32' : undefined;
    }
    case 'load':
      return place(places, e.buf).type === 'f16' ? 'f16' : 'f32';
    case 'acc':
      return 'f32';
    case 'cast':
      return typeOf(e.a, places, accs) === 'f32' ? r(e.a) : 'f32';
    case 'un':
      return F32_UNARY.has(e.op) ? 'f32' : r(e.a);
    case 'bin':
      return joinWidth(r(e.a), r(e.b));
    case 'select':
      return joinWidth(r(e.t), r(e.f));
  }
}

/** The width to render a float expression in: its own, f32 when only constants decide. */
export const widthOf = (e: Expr, places: Places, accs: Names): FloatWidth =>
  floatWidth(e, places, accs) ?? 'f32';

/** A WGSL f16 literal (specials read from the f16 weights: WGSL has no literal for them). */
export function f16(v: number): string {
  if (Number.isNaN(v)) return 'weights16[2]';
  if (v === Infinity) return 'weights16[0]';
  if (v === -Infinity) return 'weights16[1]';
  if (Object.is(v, -0)) return '-0.0h';
  const x = float16BitsToFloat32(float32ToFloat16Bits(v));
  const s = String(x);
  return /[.e]/.test(s) ? `${s}h` : `${s}.0h`;
}

/**
 * Render an expression; `accs` names accumulators, `vars` loop variables. A float expression is
 * rendered in `want` (default: its own width, floatWidth): f16 loads read in an f32 expression are
 * converted where they are read, constants written in the width of their context.
 */
export function expr(e: Expr, places: Places, vars: Names, accs: Names, want?: FloatWidth): string {
  const w: FloatWidth = want ?? widthOf(e, places, accs);
  const r = (x: Expr) => expr(x, places, vars, accs, w);
  /** An operand that decides its own width (a comparison's, a cast's to int). */
  const own = (x: Expr) => expr(x, places, vars, accs);
  switch (e.k) {
    case 'const':
      return e.t === 'i32' ? i32(e.v) : w === 'f16' ? f16(e.v) : f32(e.v);
    case 'load': {
      const value = load(places, e.buf, e.at, vars, own);
      const half = place(places, e.buf).type === 'f16';
      return half && w === 'f32'
        ? `f32(${value})`
        : !half && w === 'f16' && typeOf(e, places, accs) === 'f32'
          ? `f16(${value})`
          : value;
    }
    case 'cast': {
      // f32 → i32 truncates toward zero and saturates (WGSL's conversion), as the IR specifies
      const from = typeOf(e.a, places, accs);
      if (from === e.to) return from === 'f32' ? r(e.a) : own(e.a);
      return `${e.to}(${own(e.a)})`;
    }
    case 'acc':
      return w === 'f16' && accs.types.get(e.name) !== 'i32' ? `f16(${accs.get(e.name)})` : accs.get(e.name);
    case 'un':
      if (e.op === 'recip' && w === 'f16') return `(1.0h / ${r(e.a)})`;
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
        case 'rem_u':
          return `bitcast<i32>(bitcast<u32>(${r(e.a)}) % bitcast<u32>(${r(e.b)}))`;
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
    case 'select': {
      // the comparison's operands share a width of their own
      const cw = joinWidth(floatWidth(e.a, places, accs), floatWidth(e.b, places, accs)) ?? 'f32';
      const c = (x: Expr) => expr(x, places, vars, accs, cw);
      return `select(${r(e.f)}, ${r(e.t)}, ${c(e.a)} ${CMP[e.cmp]} ${c(e.b)})`;
    }
  }
  throw new KilnError(`internal error: unknown kernel expression ${JSON.stringify(e)}`);
}

/** Does the expression use erf (so the shader needs the helper)? */
export const usesErf = (source: string): boolean => source.includes('kiln_erf(');

/** Does the shader store float16 values (so it needs kiln_f16)? */
export const usesF16 = (source: string): boolean => source.includes('kiln_f16(');

/**
 * An f32 rounded to the nearest float16 value (as an f32, ties to even): quantizeToF16 in the normal
 * range; WGSL leaves its result indeterminate beyond float16's range (|v| ≥ 65520 rounds to
 * infinity) and lavapipe flushes subnormals, so both are done here (below 2^-14, to a multiple of
 * 2^-24, the sign kept).
 */
export const F16_FN = `fn kiln_f16(v: f32) -> f32 {
  let a = abs(v);
  if (a >= 65520.0f) { return select(${SPECIAL.ninf}, ${SPECIAL.inf}, v > 0.0f); }
  if (a < 6.103515625e-5f) {
    let r = round(a * 16777216.0f) / 16777216.0f;
    return bitcast<f32>(bitcast<u32>(r) | (bitcast<u32>(v) & 0x80000000u));
  }
  return quantizeToF16(v);
}
`;

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
