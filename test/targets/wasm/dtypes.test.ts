import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import { compareValues } from '../../../compiler/conformance/compare.js';
import { wasmBackend } from '../../../compiler/conformance/wasm-backend.js';
import type { Attribute, Model } from '../../../compiler/ir/graph.js';
import type { DType } from '../../../runtime/dtype.js';
import { KilnError } from '../../../runtime/errors.js';
import { Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { compileWasm } from '../../../targets/wasm/compile.js';
import { graph, model, node, value } from '../../helpers/build.js';

/**
 * Non-float32 element types on the wasm target: integer and double arithmetic, casts, narrow
 * storage types and bool results, compiled for wasm and compared with the reference executor
 * (values chosen to cross the cases that differ between float and integer semantics: negative
 * division, Mod signs, wrap-around of narrow types).
 */
const t = (dtype: DType, shape: number[], v: number[]) =>
  dtype === 'int64' || dtype === 'uint64'
    ? new Tensor(dtype, shape, (dtype === 'int64' ? BigInt64Array : BigUint64Array).from(v.map(BigInt)))
    : tensorFrom(dtype, shape, v);

function binary(
  op: string,
  a: Tensor,
  b: Tensor,
  out: DType,
  attrs: Record<string, Attribute> = {},
): [string, () => Model, Map<string, Tensor>] {
  const make = () =>
    model(
      graph({
        inputs: [value('a', a.dtype, [...a.shape]), value('b', b.dtype, [...b.shape])],
        outputs: [value('y', out)],
        nodes: [node(op, ['a', 'b'], ['y'], attrs)],
      }),
      18,
    );
  return [
    `${op} ${a.dtype}`,
    make,
    new Map([
      ['a', a],
      ['b', b],
    ]),
  ];
}

function unary(
  op: string,
  x: Tensor,
  out: DType,
  attrs: Record<string, Attribute> = {},
): [string, () => Model, Map<string, Tensor>] {
  const make = () =>
    model(
      graph({
        inputs: [value('x', x.dtype, [...x.shape])],
        outputs: [value('y', out)],
        nodes: [node(op, ['x'], ['y'], attrs)],
      }),
      18,
    );
  return [`${op} ${x.dtype} → ${out}`, make, new Map([['x', x]])];
}

const ints = [7, -7, 7, -7, 0, 5, -128, 127];
const divisors = [2, 2, -2, -2, 3, -3, 3, 5];
const to = (d: number): Attribute => ({ type: 'int', value: d });

const CASES = [
  binary('Div', t('int32', [8], ints), t('int32', [8], divisors), 'int32'),
  binary('Div', t('int64', [8], ints), t('int64', [8], divisors), 'int64'),
  binary('Mod', t('int64', [8], ints), t('int64', [8], divisors), 'int64'),
  binary('Mod', t('int32', [8], ints), t('int32', [8], divisors), 'int32', { fmod: to(1) }),
  binary('Mul', t('int8', [8], ints), t('int8', [8], divisors), 'int8'),
  binary('Sub', t('uint8', [4], [1, 200, 3, 0]), t('uint8', [4], [2, 100, 3, 1]), 'uint8'),
  binary('Max', t('int16', [8], ints), t('int16', [8], divisors), 'int16'),
  binary('Min', t('uint32', [3], [1, 4000000000, 7]), t('uint32', [3], [2, 3, 4000000001]), 'uint32'),
  binary(
    'Add',
    t('float64', [2, 3], [0.1, 0.2, 1e300, -1, 2, 3]),
    t('float64', [3], [0.2, 0.3, 1e300]),
    'float64',
  ),
  binary('Less', t('int64', [8], ints), t('int64', [8], divisors), 'bool'),
  binary('BitShift', t('uint8', [3], [1, 255, 16]), t('uint8', [3], [7, 1, 2]), 'uint8', {
    direction: { type: 'string', value: 'LEFT' },
  }),
  binary('BitShift', t('uint64', [2], [1024, 3]), t('uint64', [2], [3, 1]), 'uint64', {
    direction: { type: 'string', value: 'RIGHT' },
  }),
  binary('BitwiseXor', t('int32', [3], [5, -1, 0]), t('int32', [3], [3, 7, -8]), 'int32'),
  binary(
    'Trilu',
    t(
      'int64',
      [2, 3, 4],
      Array.from({ length: 24 }, (_, i) => i - 5),
    ),
    t('int64', [], [-1]),
    'int64',
  ),
  binary(
    'Trilu',
    t(
      'float64',
      [3, 4],
      Array.from({ length: 12 }, (_, i) => i / 3),
    ),
    t('int64', [], [1]),
    'float64',
    {
      upper: to(0),
    },
  ),
  unary('Abs', t('int64', [4], [-3, 3, 0, -9]), 'int64'),
  unary('Neg', t('int32', [3], [-3, 3, 0]), 'int32'),
  unary('Sign', t('int64', [3], [-3, 3, 0]), 'int64'),
  unary('Cast', t('float32', [5], [1.9, -1.9, 300.5, -0.5, 70000]), 'int32', { to: to(6) }),
  unary('Cast', t('float32', [4], [1.9, -1.9, 300.5, -0.5]), 'uint8', { to: to(2) }),
  unary('Cast', t('int64', [3], [5, -5, 1 << 40]), 'float64', { to: to(11) }),
  unary('Cast', t('float64', [3], [0.1, -1e10, 3.5]), 'float32', { to: to(1) }),
  unary('Cast', t('int64', [3], [0, -5, 2]), 'bool', { to: to(9) }),
  unary('Cast', t('uint16', [3], [65535, 0, 7]), 'int64', { to: to(7) }),
  unary('ArgMax', t('int32', [2, 3], [1, 5, 5, -2, -9, -1]), 'int64', { axis: to(1) }),
  unary('Transpose', t('int64', [2, 3], [1, 2, 3, 4, 5, 6]), 'int64'),
];

describe('wasm lowerings of non-float32 types against the reference executor', () => {
  const wasm = wasmBackend('simd');
  for (const [name, make, feeds] of CASES) {
    it(name, () => {
      const m = make();
      expect(wasm.unsupportedReason(m)).toBeUndefined();
      const ours = wasm.prepare(m).run(feeds).get('y');
      const want = referenceBackend.prepare(make()).run(feeds).get('y')!;
      expect(compareValues(ours, want)).toBeUndefined();
    });
  }

  it('refuses a feed of the wrong dtype, naming the input and what it expects', () => {
    const [, make] = binary('Add', t('int64', [2], [1, 2]), t('int64', [2], [1, 2]), 'int64');
    const run = wasmBackend('simd').prepare(make());
    const feeds = new Map([
      ['a', t('int32', [2], [1, 2])],
      ['b', t('int64', [2], [1, 2])],
    ]);
    expect(() => run.run(feeds)).toThrow(/input 'a' is int32\[2\].*int64\[2\]/);
  });

  it('refuses an op it does not lower for doubles with a KilnError naming the node', () => {
    const [, make] = unary('Exp', t('float64', [2], [1, 2]), 'float64');
    expect(() => compileWasm(make())).toThrow(KilnError);
    expect(() => compileWasm(make())).toThrow(/'Exp_y', op Exp\] output 'y' is float64/);
  });
});
