import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { callF64Math, type F64MathFn } from '../../../targets/wasm/f64-math.js';

/** A module exporting f(x) = math_<name>_f64(x), instantiated. */
function compiled(name: F64MathFn): (x: number) => number {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.NontrappingFPToInt);
  m.addFunction('f', binaryen.f64, binaryen.f64, [], callF64Math(m, name, m.local.get(0, binaryen.f64)));
  m.addFunctionExport('f', 'f');
  expect(m.validate()).toBeTruthy();
  const bytes = m.emitBinary();
  m.dispose();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  return inst.exports.f as (x: number) => number;
}

const relErr = (got: number, want: number) =>
  want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);

describe('wasm float64 math (exp, log for float64 kernels)', () => {
  it('exp matches Math.exp to 2e-15 relative over the double range, with overflow/underflow/NaN', () => {
    const exp = compiled('exp');
    for (let x = -700; x <= 700; x += 0.37)
      expect(relErr(exp(x), Math.exp(x)), `exp(${x})`).toBeLessThan(2e-15);
    for (const x of [0, 1e-300, -1e-300, 1e-10, 0.5, -0.5, 1, Math.LN2, 709.7])
      expect(relErr(exp(x), Math.exp(x))).toBeLessThan(2e-15);
    expect(exp(710)).toBe(Infinity);
    expect(exp(Infinity)).toBe(Infinity);
    expect(exp(-746)).toBe(0);
    expect(exp(-Infinity)).toBe(0);
    expect(exp(NaN)).toBeNaN();
    // gradual underflow: subnormal results stay close
    expect(relErr(exp(-740), Math.exp(-740))).toBeLessThan(1e-3);
  });

  it('log matches Math.log to 2e-15 relative (subnormals included) and its special values', () => {
    const log = compiled('log');
    for (let e = -1070; e <= 1020; e += 7.3) {
      const x = 2 ** e * 1.2345;
      expect(relErr(log(x), Math.log(x)), `log(${x})`).toBeLessThan(2e-15);
    }
    for (const x of [0.5, 0.999999, 1.000001, 2, Math.SQRT2, Math.E, 10, 5e-324, 1.7976931348623157e308])
      expect(relErr(log(x), Math.log(x)), `log(${x})`).toBeLessThan(2e-15);
    expect(log(1)).toBe(0);
    expect(log(0)).toBe(-Infinity);
    expect(log(Infinity)).toBe(Infinity);
    expect(log(-1)).toBeNaN();
    expect(log(NaN)).toBeNaN();
  });
});
