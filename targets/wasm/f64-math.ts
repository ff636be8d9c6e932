import binaryen from 'binaryen';

type M = binaryen.Module;
type X = binaryen.ExpressionRef;
const { f64, i64 } = binaryen;

/** Scalar float64 functions WebAssembly lacks, added to a module once on first use. */
export type F64MathFn = 'exp' | 'log';

const added = new WeakMap<M, Set<string>>();

/** A call of `math_<name>_f64` on x, adding the function to the module when it is not there yet. */
export function callF64Math(m: M, name: F64MathFn, x: X): X {
  let set = added.get(m);
  if (!set) added.set(m, (set = new Set()));
  if (!set.has(name)) {
    set.add(name);
    if (name === 'exp') addExp(m);
    else addLog(m);
  }
  return m.call(`math_${name}_f64`, [x], f64);
}

const c = (m: M, v: number) => m.f64.const(v);
/** binaryen.js takes an i64 constant as one bigint (its typings still say low/high words). */
const i64c = (m: M, v: bigint): X => (m.i64.const as unknown as (v: bigint) => X)(v);

/** Σ coeffs[i]·v^i by Horner (v re-read through the thunk: binaryen IR is a tree). */
function horner(m: M, v: () => X, coeffs: number[]): X {
  let acc = c(m, coeffs[coeffs.length - 1]!);
  for (let i = coeffs.length - 2; i >= 0; i--) acc = m.f64.add(m.f64.mul(acc, v()), c(m, coeffs[i]!));
  return acc;
}

/** 2^k for an integer k in [-1022, 1023], from the exponent bits. */
function pow2(m: M, k: X): X {
  return m.f64.reinterpret(m.i64.shl(m.i64.add(k, i64c(m, 1023n)), i64c(m, 52n)));
}

/**
 * exp(x) = 2^k · e^r with k = round(x / ln 2) and |r| ≤ ln2/2 (ln 2 split in two parts so r is exact
 * to double precision); e^r by its Taylor series to r^13 (error below 1e-17). x is clamped to
 * [-746, 710] first, so 2^k stays representable as two factors and the result overflows to +∞ or
 * underflows to 0 where it should; NaN propagates.
 */
function addExp(m: M): void {
  // locals: 0 x, 1 k (f64), 2 r
  const x = () => m.local.get(0, f64);
  const k = () => m.local.get(1, f64);
  const r = () => m.local.get(2, f64);
  const LN2_HI = 6.9314718036912381649e-1;
  const LN2_LO = 1.90821492927058770002e-10;
  let fact = 1;
  const taylor = Array.from({ length: 14 }, (_, i) => (i === 0 ? 1 : 1 / (fact *= i)));
  const ki = () => m.i64.trunc_s_sat.f64(k());
  const half = () => m.i64.div_s(ki(), i64c(m, 2n));
  const body = m.block(
    null,
    [
      m.local.set(0, m.f64.min(m.f64.max(x(), c(m, -746)), c(m, 710))),
      m.local.set(1, m.f64.nearest(m.f64.mul(x(), c(m, Math.LOG2E)))),
      m.local.set(2, m.f64.sub(m.f64.sub(x(), m.f64.mul(k(), c(m, LN2_HI))), m.f64.mul(k(), c(m, LN2_LO)))),
      m.return(m.f64.mul(m.f64.mul(horner(m, r, taylor), pow2(m, half())), pow2(m, m.i64.sub(ki(), half())))),
    ],
    f64,
  );
  m.addFunction('math_exp_f64', f64, f64, [f64, f64], body);
}

/**
 * log(x) = e·ln 2 + log(m) with x = m·2^e, m in [√½, √2) (subnormals scaled by 2^54 first); log(m) =
 * 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.1716, by its series to s^23 (error below 1e-18). x < 0 or NaN
 * gives NaN, 0 gives −∞, +∞ gives +∞.
 */
function addLog(m: M): void {
  // locals: 0 x, 1 e (f64), 2 bits (i64), 3 mantissa, 4 s, 5 z = s²
  const x = () => m.local.get(0, f64);
  const e = () => m.local.get(1, f64);
  const bits = () => m.local.get(2, i64);
  const mant = () => m.local.get(3, f64);
  const s = () => m.local.get(4, f64);
  const z = () => m.local.get(5, f64);
  const sub = m.f64.lt(x(), c(m, 2.2250738585072014e-308));
  const series = Array.from({ length: 12 }, (_, i) => 2 / (2 * i + 1));
  const result = m.f64.add(m.f64.mul(e(), c(m, Math.LN2)), m.f64.mul(s(), horner(m, z, series)));
  const body = m.block(
    null,
    [
      m.local.set(1, m.select(sub, c(m, -54), c(m, 0))),
      m.local.set(
        2,
        m.i64.reinterpret(
          m.select(m.f64.lt(x(), c(m, 2.2250738585072014e-308)), m.f64.mul(x(), c(m, 2 ** 54)), x()),
        ),
      ),
      m.local.set(
        1,
        m.f64.add(e(), m.f64.convert_s.i64(m.i64.sub(m.i64.shr_u(bits(), i64c(m, 52n)), i64c(m, 1023n)))),
      ),
      m.local.set(
        3,
        m.f64.reinterpret(
          m.i64.or(m.i64.and(bits(), i64c(m, 0xfffffffffffffn)), i64c(m, 0x3ff0000000000000n)),
        ),
      ),
      m.if(
        m.f64.gt(mant(), c(m, Math.SQRT2)),
        m.block(null, [
          m.local.set(3, m.f64.mul(mant(), c(m, 0.5))),
          m.local.set(1, m.f64.add(e(), c(m, 1))),
        ]),
      ),
      m.local.set(4, m.f64.div(m.f64.sub(mant(), c(m, 1)), m.f64.add(mant(), c(m, 1)))),
      m.local.set(5, m.f64.mul(s(), s())),
      m.if(m.f64.ne(x(), x()), m.return(x())),
      m.if(m.f64.lt(x(), c(m, 0)), m.return(c(m, NaN))),
      m.if(m.f64.eq(x(), c(m, 0)), m.return(c(m, -Infinity))),
      m.if(m.f64.eq(x(), c(m, Infinity)), m.return(x())),
      m.return(result),
    ],
    f64,
  );
  m.addFunction('math_log_f64', f64, f64, [f64, i64, f64, f64, f64], body);
}
