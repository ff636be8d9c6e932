import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import { compareValues } from '../../../compiler/conformance/compare.js';
import { wasmBackend } from '../../../compiler/conformance/wasm-backend.js';
import type { Attribute, Model } from '../../../compiler/ir/graph.js';
import type { Value } from '../../../compiler/reference/value.js';
import type { DType } from '../../../runtime/dtype.js';
import { Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { seededRandom } from '../../helpers/random.js';

/**
 * Training-mode Dropout and BatchNormalization, Compress, STFT and MelWeightMatrix on the wasm target,
 * on shapes and parameters the conformance data does not reach, compared with the reference executor.
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

const f32 = (shape: number[], v: number[]) => tensorFrom('float32', shape, v);
const i64 = (v: number) => new Tensor('int64', [], BigInt64Array.of(BigInt(v)));
const i32 = (v: number) => new Tensor('int32', [], Int32Array.of(v));
const bool = (shape: number[], v: number[]) => new Tensor('bool', shape, Uint8Array.from(v));
const int = (v: number): Attribute => ({ type: 'int', value: v });
const float = (v: number): Attribute => ({ type: 'float', value: v });

interface Case {
  op: string;
  /** Node inputs in order: a fed tensor (graph input), a constant (initializer), or omitted. */
  inputs: ({ feed: Tensor } | { constant: Tensor } | undefined)[];
  outputs: { dtype: DType; shape: number[] }[];
  attrs?: Record<string, Attribute>;
  opset?: number;
}

function build(c: Case): Model {
  const names = c.inputs.map((v, i) => (v ? `x${i}` : ''));
  const fed = c.inputs.flatMap((v, i) => (v && 'feed' in v ? [[`x${i}`, v.feed] as const] : []));
  const consts = c.inputs.flatMap((v, i) => (v && 'constant' in v ? [[`x${i}`, v.constant] as const] : []));
  return model(
    graph({
      inputs: fed.map(([n, t]) => value(n, t.dtype, [...t.shape])),
      outputs: c.outputs.map((o, i) => value(`y${i}`, o.dtype, o.shape)),
      nodes: [
        node(
          c.op,
          names,
          c.outputs.map((_, i) => `y${i}`),
          c.attrs ?? {},
        ),
      ],
      initializers: Object.fromEntries(consts),
    }),
    c.opset ?? 17,
  );
}

function feedsOf(c: Case): Map<string, Value> {
  return new Map(c.inputs.flatMap((v, i) => (v && 'feed' in v ? [[`x${i}`, v.feed as Value] as const] : [])));
}

/** Compile for wasm, run the feeds, and compare every output with the reference executor's. */
function expectMatchesReference(c: Case, feeds = feedsOf(c)): Map<string, Value> {
  const wasm = wasmBackend('simd');
  const m = build(c);
  expect(wasm.unsupportedReason(m)).toBeUndefined();
  const ours = wasm.prepare(m).run(feeds);
  const want = referenceBackend.prepare(build(c)).run(feeds);
  c.outputs.forEach((_, i) => {
    expect(
      compareValues(ours.get(`y${i}`), want.get(`y${i}`)!, { rtol: 1e-4, atol: 1e-5 }),
      `y${i}`,
    ).toBeUndefined();
  });
  return ours;
}

const data = (v: Value | undefined) => Array.from((v as Tensor).data as ArrayLike<number>);

describe('training-mode Dropout', () => {
  const x = rand([2, 5, 7], 1);
  const dropout = (ratio: Tensor, training: Tensor, seed = 7): Case => ({
    op: 'Dropout',
    inputs: [{ feed: x }, { feed: ratio }, { feed: training }],
    outputs: [
      { dtype: 'float32', shape: [2, 5, 7] },
      { dtype: 'bool', shape: [2, 5, 7] },
    ],
    attrs: { seed: int(seed) },
    opset: 13,
  });
  const on = bool([], [1]);

  it('draws the reference generator’s mask for the seed; ratio and training_mode are read at run time', () => {
    for (const ratio of [0.1, 0.5, 0.9]) {
      const out = expectMatchesReference(dropout(f32([], [ratio]), on));
      const kept = data(out.get('y1')).filter((m) => m).length;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(70);
    }
    // one compiled model, fed different ratios: the run-time ratio decides
    const wasm = wasmBackend('simd');
    const m = build(dropout(f32([], [0.5]), on));
    expect(wasm.unsupportedReason(m)).toBeUndefined();
    const run = wasm.prepare(m);
    const lowMask = data(run.run(feedsOf(dropout(f32([], [0.2]), on))).get('y1'));
    const highMask = data(run.run(feedsOf(dropout(f32([], [0.8]), on))).get('y1'));
    expect(lowMask.filter((v) => v).length).toBeGreaterThan(highMask.filter((v) => v).length);
  });

  it('is the identity with an all-ones mask when training_mode is fed false, and with ratio 0', () => {
    for (const c of [dropout(f32([], [0.5]), bool([], [0])), dropout(f32([], [0]), on, 3)]) {
      const out = expectMatchesReference(c);
      expect(data(out.get('y0'))).toEqual(data(x));
      expect(data(out.get('y1')).every((v) => v === 1)).toBe(true);
    }
  });

  it('takes a constant ratio and training_mode (another seed, no mask output)', () => {
    expectMatchesReference({
      op: 'Dropout',
      inputs: [{ feed: rand([3, 33], 2) }, { constant: f32([], [0.25]) }, { constant: bool([], [1]) }],
      outputs: [{ dtype: 'float32', shape: [3, 33] }],
      attrs: { seed: int(12345) },
      opset: 12,
    });
  });

  it('refuses random dropout without a seed: a compiled mask would repeat on every run', () => {
    const c = dropout(f32([], [0.5]), on);
    c.attrs = {};
    expect(wasmBackend('simd').unsupportedReason(build(c))).toMatch(
      /op Dropout\].*training_mode \('x2'\) is fed at run time with ratio fed at run time and no seed attribute/,
    );
  });
});

describe('training-mode BatchNormalization', () => {
  const bn = (shape: number[], params: 'feed' | 'constant', attrs: Record<string, Attribute>): Case => {
    const C = shape[1]!;
    const p = (seed: number, lo = -1, hi = 1) =>
      params === 'feed' ? { feed: rand([C], seed, lo, hi) } : { constant: rand([C], seed, lo, hi) };
    return {
      op: 'BatchNormalization',
      inputs: [{ feed: rand(shape, 1, -3, 5) }, p(2), p(3), p(4), p(5, 0.1, 2)],
      outputs: [
        { dtype: 'float32', shape },
        { dtype: 'float32', shape: [C] },
        { dtype: 'float32', shape: [C] },
      ],
      attrs: { training_mode: int(1), ...attrs },
      opset: 15,
    };
  };

  it('normalises with batch statistics over N and the spatial axes and updates the running ones', () => {
    expectMatchesReference(bn([3, 4, 2, 3], 'feed', { momentum: float(0.8), epsilon: float(1e-3) }));
    expectMatchesReference(bn([5, 3], 'constant', {}));
    expectMatchesReference(bn([2, 2, 3, 2, 2], 'feed', { momentum: float(0.5) }));
  });

  it('computes Y alone when the running statistics are not asked for', () => {
    const c = bn([2, 3, 5], 'constant', {});
    c.outputs = c.outputs.slice(0, 1);
    expectMatchesReference(c);
  });
});

describe('Compress with a condition known at compile time', () => {
  const x = rand([2, 5, 3], 3);
  const compress = (cond: number[], axis?: number, outShape: number[] = []): Case => ({
    op: 'Compress',
    inputs: [{ feed: x }, { constant: bool([cond.length], cond) }],
    outputs: [{ dtype: 'float32', shape: outShape }],
    attrs: axis === undefined ? {} : { axis: int(axis) },
    opset: 11,
  });

  it('gathers the selected slices along an axis, or of the flattened input without one', () => {
    expectMatchesReference(compress([1, 0, 1, 1, 0], 1, [2, 3, 3]));
    expectMatchesReference(compress([0, 1, 1], -1, [2, 5, 2]));
    expectMatchesReference(compress([1, 0, 0, 1, 1, 0, 0, 1], undefined, [4]));
  });

  it('refuses a condition fed at run time, asking to bind it', () => {
    const c = compress([1, 0, 1, 1, 0], 1, [2, 3, 3]);
    c.inputs[1] = { feed: bool([5], [1, 0, 1, 1, 0]) };
    expect(wasmBackend('simd').unsupportedReason(build(c))).toMatch(
      /condition \('x1'\) is fed at run time but decides the output's shape.*--bind/,
    );
  });

  it('refuses a condition selecting beyond the axis', () => {
    expect(wasmBackend('simd').unsupportedReason(build(compress([0, 0, 0, 1], 2, [2, 5, 1])))).toMatch(
      /condition selects index 3 beyond the axis size 3/,
    );
  });
});

describe('STFT and MelWeightMatrix', () => {
  it('STFT of a real signal, onesided, no window, frame_length and frame_step constant', () => {
    expectMatchesReference({
      op: 'STFT',
      inputs: [{ feed: rand([2, 50, 1], 4) }, { constant: i64(4) }, undefined, { constant: i64(10) }],
      outputs: [{ dtype: 'float32', shape: [2, 11, 6, 2] }],
    });
  });

  it('STFT of a complex signal, two-sided, with a window fed at run time', () => {
    const win = Float32Array.from({ length: 8 }, (_, t) => 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / 8));
    expectMatchesReference({
      op: 'STFT',
      inputs: [{ feed: rand([1, 41, 2], 5) }, { constant: i64(3) }, { feed: f32([8], [...win]) }],
      outputs: [{ dtype: 'float32', shape: [1, 12, 8, 2] }],
      attrs: { onesided: int(0) },
    });
  });

  it('STFT with frame_step fed at run time is refused, asking to bind it', () => {
    const c: Case = {
      op: 'STFT',
      inputs: [{ feed: rand([1, 32, 1], 6) }, { feed: i64(4) }, undefined, { constant: i64(8) }],
      outputs: [{ dtype: 'float32', shape: [1, 7, 5, 2] }],
    };
    expect(wasmBackend('simd').unsupportedReason(build(c))).toMatch(
      /frame_step \('x1'\) is fed at run time but decides the output's shape.*--bind/,
    );
  });

  it('MelWeightMatrix with constant operands is computed at compile time', () => {
    expectMatchesReference({
      op: 'MelWeightMatrix',
      inputs: [
        { constant: i32(6) },
        { constant: i32(32) },
        { constant: i32(16000) },
        { constant: f32([], [100]) },
        { constant: f32([], [7000]) },
      ],
      outputs: [{ dtype: 'float32', shape: [17, 6] }],
    });
  });

  it('MelWeightMatrix too large for constant folding is computed by the lowering', () => {
    // 513 × 128 elements: more than constant folding adds to a model (1 << 16)
    expectMatchesReference({
      op: 'MelWeightMatrix',
      inputs: [
        { constant: i32(128) },
        { constant: i32(1024) },
        { constant: i32(22050) },
        { constant: f32([], [0]) },
        { constant: f32([], [11025]) },
      ],
      outputs: [{ dtype: 'float32', shape: [513, 128] }],
    });
  });

  it('MelWeightMatrix with an operand fed at run time is refused, naming it', () => {
    const c: Case = {
      op: 'MelWeightMatrix',
      inputs: [
        { constant: i32(6) },
        { constant: i32(32) },
        { feed: i32(16000) },
        { constant: f32([], [100]) },
        { constant: f32([], [7000]) },
      ],
      outputs: [{ dtype: 'float32', shape: [17, 6] }],
    };
    expect(wasmBackend('simd').unsupportedReason(build(c))).toMatch(
      /sample_rate \('x2'\) is fed at run time/,
    );
  });
});
