import type { Affine, Expr, UnaryOp } from '../../compiler/kernel/ir.js';
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
}

/** An i32 index expression: the affine form plus the buffer's offset in its binding. */
export function index(at: Affine, offset: number, vars: Names): string {
  const parts = at.terms.map((t) => (t.c === 1 ? vars.get(t.v) : `${vars.get(t.v)} * ${t.c}`));
  const c = at.c + offset;
  if (c !== 0 || parts.length === 0) parts.push(String(c));
  return parts.join(' + ').replace(/\+ -/g, '- ');
}

export function load(places: Places, buf: string, at: Affine, vars: Names): string {
  const p = place(places, buf);
  return `${p.binding}[${index(at, p.offset, vars)}]`;
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
  not: () => {
    throw new KilnError('internal error: integer op not reached the WGSL renderer (see support.ts)');
  },
};

const CMP = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '==' } as const;

/** Render an expression; `accs` names accumulators, `vars` loop variables. */
export function expr(e: Expr, places: Places, vars: Names, accs: Names): string {
  const r = (x: Expr) => expr(x, places, vars, accs);
  switch (e.k) {
    case 'const':
      return f32(e.v);
    case 'load':
      return load(places, e.buf, e.at, vars);
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
