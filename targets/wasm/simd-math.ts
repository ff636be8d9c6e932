import binaryen from 'binaryen';

type M = binaryen.Module;
type X = binaryen.ExpressionRef;
const v128 = binaryen.v128;

/** Functions SimdMath provides. */
export type SimdMathFn =
  'exp' | 'log' | 'tanh' | 'sigmoid' | 'erf' | 'sin' | 'cos' | 'tan' | 'atan' | 'asin' | 'acos';

/**
 * 4-lane float math that WebAssembly lacks (exp, log, tanh, sigmoid, erf), added to a module as
 * helper functions on demand. Polynomials from Cephes (expf, logf) and Abramowitz & Stegun 7.1.26
 * (erf, |error| < 1.5e-7); accurate to a few ulp of float32 over the ranges models use. sin/cos
 * reduce by multiples of π (Cody–Waite, three parts) to [-π/2, π/2] and use the degree-11 Taylor
 * polynomial (|error| < 6e-8 there); atan is Cephes atanf; asin, acos and tan derive from them.
 */
export class SimdMath {
  private readonly added = new Set<string>();
  constructor(private readonly m: M) {}

  private f(c: number): X {
    return this.m.f32x4.splat(this.m.f32.const(c));
  }

  call(name: SimdMathFn, x: X): X {
    this.ensure(name);
    return this.m.call(`math_${name}`, [x], v128);
  }

  private ensure(name: string): void {
    if (this.added.has(name)) return;
    this.added.add(name);
    const m = this.m;
    const x = () => m.local.get(0, v128);
    const set = (i: number, v: X) => m.local.set(i, v);
    const get = (i: number) => m.local.get(i, v128);
    const { add, sub, mul, div } = {
      add: (a: X, b: X) => m.f32x4.add(a, b),
      sub: (a: X, b: X) => m.f32x4.sub(a, b),
      mul: (a: X, b: X) => m.f32x4.mul(a, b),
      div: (a: X, b: X) => m.f32x4.div(a, b),
    };
    // Binaryen IR is a tree: every use needs a fresh expression, hence the thunk.
    const horner = (v: () => X, coeffs: number[]): X => {
      let acc = this.f(coeffs[0]!);
      for (const c of coeffs.slice(1)) acc = add(mul(acc, v()), this.f(c));
      return acc;
    };
    switch (name) {
      case 'exp': {
        // locals: 0 x, 1 fx, 2 r
        const body = m.block(null, [
          // pmin/pmax (one minps/maxps each; NaN still passes through): min/max's NaN and ±0 rules cost
          // ~8 instructions apiece on x86, and exp sits in every Sigmoid/SiLU/Tanh/GELU
          set(0, m.f32x4.pmin(m.f32x4.pmax(x(), this.f(-87.33654475)), this.f(88.3762626647949))),
          set(1, m.f32x4.nearest(mul(x(), this.f(Math.LOG2E)))),
          set(2, add(sub(x(), mul(get(1), this.f(0.693359375))), mul(get(1), this.f(2.1219444e-4)))),
          m.return(
            mul(
              add(
                add(
                  mul(
                    horner(
                      () => get(2),
                      [
                        1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
                        5.0000001201e-1,
                      ],
                    ),
                    mul(get(2), get(2)),
                  ),
                  get(2),
                ),
                this.f(1),
              ),
              // 2^fx: fx (an integer in [-126, 128]) + 1.5·2^23 has fx in its low mantissa bits, so the
              // biased exponent is those bits + 127 shifted into place (trunc_sat is ~6 instructions)
              m.i32x4.shl(
                m.i32x4.add(add(get(1), this.f(12582912)), m.i32x4.splat(m.i32.const(127))),
                m.i32.const(23),
              ),
            ),
          ),
        ]);
        m.addFunction('math_exp', v128, v128, [v128, v128], body);
        break;
      }
      case 'log': {
        // Cephes logf: x = m * 2^e with m in [sqrt(1/2), sqrt(2)); log = poly(m - 1) + e*ln2.
        // locals: 0 x, 1 e (as float), 2 mant, 3 mask (m < sqrt(1/2)), 4 z
        const bits = () => get(0);
        const body = m.block(null, [
          set(
            1,
            m.f32x4.convert_i32x4_s(
              m.i32x4.sub(m.i32x4.shr_u(bits(), m.i32.const(23)), m.i32x4.splat(m.i32.const(126))),
            ),
          ),
          set(
            2,
            m.v128.or(
              m.v128.and(bits(), m.i32x4.splat(m.i32.const(0x007fffff))),
              m.i32x4.splat(m.i32.const(0x3f000000)),
            ),
          ),
          set(3, m.f32x4.lt(get(2), this.f(Math.SQRT1_2))),
          set(1, sub(get(1), m.v128.and(get(3), this.f(1)))),
          set(2, sub(add(get(2), m.v128.and(get(3), get(2))), this.f(1))),
          set(4, mul(get(2), get(2))),
          set(
            4,
            add(
              add(
                mul(
                  mul(
                    horner(
                      () => get(2),
                      [
                        7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1,
                        -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
                      ],
                    ),
                    get(2),
                  ),
                  get(4),
                ),
                mul(get(1), this.f(-2.1219444e-4)),
              ),
              sub(get(2), mul(get(4), this.f(0.5))),
            ),
          ),
          set(4, add(get(4), mul(get(1), this.f(0.693359375)))),
          // log(0) = -inf, log(x<0) = NaN, log(inf) = inf
          set(4, m.v128.bitselect(this.f(-Infinity), get(4), m.f32x4.eq(x(), this.f(0)))),
          set(4, m.v128.bitselect(this.f(NaN), get(4), m.f32x4.lt(x(), this.f(0)))),
          m.return(m.v128.bitselect(x(), get(4), m.f32x4.eq(x(), this.f(Infinity)))),
        ]);
        m.addFunction('math_log', v128, v128, [v128, v128, v128, v128], body);
        break;
      }
      case 'sigmoid':
        m.addFunction(
          'math_sigmoid',
          v128,
          v128,
          [],
          m.return(div(this.f(1), add(this.f(1), this.call('exp', m.f32x4.neg(x()))))),
        );
        break;
      case 'tanh':
        m.addFunction(
          'math_tanh',
          v128,
          v128,
          [],
          m.return(sub(this.f(1), div(this.f(2), add(this.call('exp', mul(x(), this.f(2))), this.f(1))))),
        );
        break;
      case 'erf': {
        // locals: 0 x, 1 |x|, 2 t
        const body = m.block(null, [
          set(1, m.f32x4.abs(x())),
          set(2, div(this.f(1), add(this.f(1), mul(get(1), this.f(0.3275911))))),
          m.return(
            m.v128.or(
              m.v128.and(x(), m.i32x4.splat(m.i32.const(0x80000000 | 0))),
              sub(
                this.f(1),
                mul(
                  mul(
                    horner(() => get(2), [1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592]),
                    get(2),
                  ),
                  this.call('exp', m.f32x4.neg(mul(get(1), get(1)))),
                ),
              ),
            ),
          ),
        ]);
        m.addFunction('math_erf', v128, v128, [v128, v128], body);
        break;
      }
      case 'sin':
      case 'cos':
        m.addFunction(`math_${name}`, v128, v128, [v128, v128, v128], this.sinCos(name === 'cos'));
        break;
      case 'tan':
        m.addFunction(
          'math_tan',
          v128,
          v128,
          [],
          m.return(div(this.call('sin', x()), this.call('cos', x()))),
        );
        break;
      case 'atan':
        m.addFunction('math_atan', v128, v128, [v128, v128, v128, v128, v128], this.atan());
        break;
      case 'asin':
        // asin x = atan(x / √(1 − x²)); ±1 gives ±∞ inside, whose atan is ±π/2
        m.addFunction(
          'math_asin',
          v128,
          v128,
          [],
          m.return(this.call('atan', div(x(), m.f32x4.sqrt(sub(this.f(1), mul(x(), x())))))),
        );
        break;
      case 'acos':
        // acos x = 2·atan(√((1 − x)/(1 + x))), accurate near x = 1 where π/2 − asin x cancels
        m.addFunction(
          'math_acos',
          v128,
          v128,
          [],
          m.return(
            mul(this.f(2), this.call('atan', m.f32x4.sqrt(div(sub(this.f(1), x()), add(this.f(1), x()))))),
          ),
        );
        break;
      default:
        throw new Error(`no SIMD math function ${name}`);
    }
  }

  /**
   * sin x, or cos x as −(−1)^q·sin r with x = (q + ½)π + r. locals: 0 x, 1 qh (q, plus ½ for cos),
   * 2 r, 3 sign mask.
   */
  private sinCos(cos: boolean): X {
    const m = this.m;
    const get = (i: number) => m.local.get(i, v128);
    const set = (i: number, v: X) => m.local.set(i, v);
    const { add, sub, mul } = { add: m.f32x4.add, sub: m.f32x4.sub, mul: m.f32x4.mul };
    const shift = cos ? 0.5 : 0;
    const q = () => sub(get(1), this.f(shift));
    // q odd → lanes with the sign bit set: (q − 2·floor(q/2)) · (−0 bits)
    const odd = () => m.f32x4.eq(sub(q(), mul(this.f(2), m.f32x4.floor(mul(q(), this.f(0.5))))), this.f(1));
    const r2 = () => mul(get(2), get(2));
    let poly = this.f(-1 / 39916800);
    for (const c of [1 / 362880, -1 / 5040, 1 / 120, -1 / 6]) poly = add(mul(poly, r2()), this.f(c));
    const sinR = add(get(2), mul(mul(poly, r2()), get(2)));
    const negZero = m.i32x4.splat(m.i32.const(0x80000000 | 0));
    return m.block(null, [
      set(
        1,
        add(
          m.f32x4.nearest(sub(mul(m.local.get(0, v128), this.f(1 / Math.PI)), this.f(shift))),
          this.f(shift),
        ),
      ),
      set(2, sub(m.local.get(0, v128), mul(get(1), this.f(3.140625)))),
      set(2, sub(get(2), mul(get(1), this.f(0.0009670257568359375)))),
      set(2, sub(get(2), mul(get(1), this.f(6.2771141529083251953e-7)))),
      // sin: (−1)^q; cos: −(−1)^q
      set(3, m.v128.and(cos ? m.v128.not(odd()) : odd(), negZero)),
      m.return(m.v128.xor(sinR, get(3))),
    ]);
  }

  /** Cephes atanf: reduce |x| to [0, tan(π/8)] via π/2 − atan(1/t) or π/4 + atan((t−1)/(t+1)). */
  private atan(): X {
    const m = this.m;
    const get = (i: number) => m.local.get(i, v128);
    const set = (i: number, v: X) => m.local.set(i, v);
    const { add, sub, mul, div } = { add: m.f32x4.add, sub: m.f32x4.sub, mul: m.f32x4.mul, div: m.f32x4.div };
    const sel = (a: X, b: X, mask: X) => m.v128.bitselect(a, b, mask);
    // locals: 0 x, 1 t = |x| then reduced, 2 y0, 3 big mask, 4 mid mask, 5 z
    const t = () => get(1);
    const z = () => get(5);
    let poly = this.f(8.05374449538e-2);
    for (const c of [-1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1])
      poly = add(mul(poly, z()), this.f(c));
    return m.block(null, [
      set(1, m.f32x4.abs(get(0))),
      set(3, m.f32x4.gt(t(), this.f(2.414213562373095))),
      set(4, m.v128.andnot(m.f32x4.gt(t(), this.f(0.414213562373095)), get(3))),
      set(2, sel(this.f(Math.PI / 2), sel(this.f(Math.PI / 4), this.f(0), get(4)), get(3))),
      set(
        1,
        sel(div(this.f(-1), t()), sel(div(sub(t(), this.f(1)), add(t(), this.f(1))), t(), get(4)), get(3)),
      ),
      set(5, mul(t(), t())),
      set(2, add(get(2), add(mul(mul(poly, z()), t()), t()))),
      // restore the sign of x
      m.return(m.v128.or(get(2), m.v128.and(get(0), m.i32x4.splat(m.i32.const(0x80000000 | 0))))),
    ]);
  }
}
