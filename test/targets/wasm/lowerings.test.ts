import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import { compareValues } from '../../../compiler/conformance/compare.js';
import { wasmBackend } from '../../../compiler/conformance/wasm-backend.js';
import type { Attribute, Model } from '../../../compiler/ir/graph.js';
import type { Value } from '../../../compiler/reference/value.js';
import { Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { WasmSession } from '../../../runtime/wasm/session.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { seededRandom } from '../../helpers/random.js';

/**
 * Lowerings the ONNX conformance data cannot reach on this target (their parameters are graph inputs
 * there, or the data is float64): single-node models with constant parameters, compiled for wasm and
 * compared with the reference executor.
 */
function rand(shape: number[], seed: number, lo = -2, hi = 2): Tensor {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensorFrom(
    'float32',
    shape,
    Array.from({ length: n }, () => lo + (hi - lo) * r()),
  );
}

function oneNode(
  op: string,
  x: Tensor,
  outShape: number[],
  consts: (Tensor | undefined)[],
  attrs: Record<string, Attribute>,
  opset = 19,
): () => Model {
  return () => {
    const names = ['x', ...consts.map((t, i) => (t ? `c${i}` : ''))];
    const initializers = Object.fromEntries(consts.flatMap((t, i) => (t ? [[`c${i}`, t]] : [])));
    return model(
      graph({
        inputs: [value('x', 'float32', [...x.shape])],
        outputs: [value('y', 'float32', outShape)],
        nodes: [node(op, names, ['y'], attrs)],
        initializers,
      }),
      opset,
    );
  };
}

const str = (v: string): Attribute => ({ type: 'string', value: v });
const int = (v: number): Attribute => ({ type: 'int', value: v });
const ints = (v: number[]): Attribute => ({ type: 'ints', value: v });
const f32 = (shape: number[], v: number[]) => tensorFrom('float32', shape, v);
const i64 = (v: number[]) => new Tensor('int64', [v.length], BigInt64Array.from(v.map(BigInt)));

const CASES: [string, () => Model, Tensor][] = (() => {
  const x = rand([1, 2, 4, 5], 1);
  const resize = (attrs: Record<string, Attribute>, scales: number[], out: number[]) =>
    oneNode('Resize', x, out, [undefined, f32([4], scales)], attrs);
  return [
    [
      'Resize nearest ×2 (asymmetric, floor)',
      resize(
        {
          mode: str('nearest'),
          coordinate_transformation_mode: str('asymmetric'),
          nearest_mode: str('floor'),
        },
        [1, 1, 2, 2],
        [1, 2, 8, 10],
      ),
      x,
    ],
    ['Resize linear ×1.5 (half_pixel)', resize({ mode: str('linear') }, [1, 1, 1.5, 1.5], [1, 2, 6, 7]), x],
    [
      'Resize linear ↓0.5 (align_corners)',
      resize(
        { mode: str('linear'), coordinate_transformation_mode: str('align_corners') },
        [1, 1, 0.5, 0.6],
        [1, 2, 2, 3],
      ),
      x,
    ],
    ['Resize cubic ×2 (half_pixel)', resize({ mode: str('cubic') }, [1, 1, 2, 2], [1, 2, 8, 10]), x],
    [
      'ReduceLogSumExp over axes [0, 2]',
      oneNode('ReduceLogSumExp', rand([3, 4, 5], 2, -40, 40), [1, 4, 1], [i64([0, 2])], {}, 18),
      rand([3, 4, 5], 2, -40, 40),
    ],
    [
      'Pad reflect on two axes',
      oneNode('Pad', x, [1, 2, 7, 9], [i64([0, 0, 1, 2, 0, 0, 2, 2])], { mode: str('reflect') }),
      x,
    ],
    [
      'Pad edge, one axis',
      oneNode('Pad', x, [1, 2, 4, 8], [i64([0, 0, 0, 1, 0, 0, 0, 2])], { mode: str('edge') }),
      x,
    ],
    [
      'CumSum over a constant axis 1, exclusive and reversed',
      oneNode('CumSum', rand([3, 5], 4), [3, 5], [i64([1])], { exclusive: int(1), reverse: int(1) }, 14),
      rand([3, 5], 4),
    ],
    [
      'ConvTranspose with constant W and B: 2 groups, stride 2, pads, output_padding',
      oneNode('ConvTranspose', rand([1, 4, 3, 3], 5), [1, 6, 6, 6], [rand([4, 3, 3, 3], 6), rand([6], 7)], {
        group: int(2),
        strides: ints([2, 2]),
        pads: ints([1, 1, 1, 1]),
        output_padding: ints([1, 1]),
      }),
      rand([1, 4, 3, 3], 5),
    ],
    [
      'ScatterElements with constant indices (one negative, one repeated) and reduction add',
      oneNode(
        'ScatterElements',
        rand([3, 4], 8),
        [3, 4],
        [new Tensor('int64', [2, 4], BigInt64Array.from([0n, -1n, 2n, 1n, 0n, 2n, 2n, 0n])), rand([2, 4], 9)],
        { axis: int(0), reduction: str('add') },
        18,
      ),
      rand([3, 4], 8),
    ],
    [
      'Pow with a general constant exponent',
      oneNode('Pow', rand([2, 9], 3, 0.1, 3), [2, 9], [f32([], [2.7])], {}),
      rand([2, 9], 3, 0.1, 3),
    ],
  ];
})();

describe('wasm lowerings against the reference executor', () => {
  for (const variant of ['simd', 'relaxed'] as const) {
    it.each(CASES.map(([name, make, x]) => ({ name, make, x })))(`${variant}: $name`, ({ make, x }) => {
      const wasm = wasmBackend(variant);
      const m = make();
      expect(wasm.unsupportedReason(m)).toBeUndefined();
      const feeds = new Map<string, Value>([['x', x]]);
      const ours = wasm.prepare(m).run(feeds).get('y');
      const want = referenceBackend.prepare(make()).run(feeds).get('y');
      expect(compareValues(ours, want!, { rtol: 1e-4, atol: 1e-5 })).toBeUndefined();
    });
  }
});

describe('wasm lowerings refused at compile time', () => {
  it('Dropout in training mode with a non-zero ratio and no seed (random) is refused naming node and op', () => {
    const x = rand([2, 3], 10);
    const make = oneNode(
      'Dropout',
      x,
      [2, 3],
      [f32([], [0.5]), new Tensor('bool', [], Uint8Array.of(1))],
      {},
    );
    expect(wasmBackend('simd').unsupportedReason(make())).toMatch(
      /op Dropout\].*training_mode \('c1'\) is true with ratio 0\.5 and no seed attribute.*or a seed attribute/,
    );
  });
});

describe('wasm artifacts with bool and int64 values', () => {
  it('a .kiln artifact round-trips bool inputs, bool outputs and ArgMax int64 outputs', async () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [3, 5]), value('m', 'bool', [3, 5])],
          outputs: [
            value('gt', 'bool', [3, 5]),
            value('arg', 'int64', [3, 1]),
            value('sel', 'float32', [3, 5]),
          ],
          nodes: [
            node('Greater', ['x', 'zero'], ['gt']),
            node('ArgMax', ['x'], ['arg'], { axis: { type: 'int', value: 1 } }),
            node('Where', ['m', 'x', 'zero'], ['sel']),
          ],
          initializers: { zero: f32([], [0]) },
        }),
      );
    const x = rand([3, 5], 7);
    const mask = new Tensor(
      'bool',
      [3, 5],
      Uint8Array.from({ length: 15 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
    );
    const session = await WasmSession.create(await wasmArtifact(compileWasm(make())), { relaxedSimd: 'off' });
    expect(session.manifest.outputs.map((o) => o.dtype)).toEqual(['bool', 'int64', 'float32']);
    const ours = await session.run({ x, m: mask });
    const want = referenceBackend.prepare(make()).run(
      new Map<string, Value>([
        ['x', x],
        ['m', mask],
      ]),
    );
    for (const name of ['gt', 'arg', 'sel'])
      expect(compareValues(ours[name], want.get(name)!), name).toBeUndefined();
    await expect(session.run({ x, m: x })).rejects.toThrow(
      /input 'm' is float32\[3,5\].*expected: bool\[3,5\]/,
    );
  });
});
