import { describe, expect, it } from 'vitest';
import type { Attribute } from '../../../../../compiler/ir/graph.js';
import { KilnError } from '../../../../../runtime/errors.js';
import { Tensor, tensorFrom } from '../../../../../runtime/tensor.js';
import { runOrt } from '../../../../helpers/ort.js';
import {
  expectClose,
  expectTensorsClose,
  f32,
  float,
  floats,
  graph,
  inferOp,
  int,
  makeNode,
  model,
  modelBytes,
  rand,
  runOp,
  str,
  strs,
  vi,
} from './helpers.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

describe('RNN', () => {
  it('computes one step by the equation Ht = tanh(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb)', () => {
    const [y, yh] = runOp('RNN', [
      f32([1, 1, 2], [1, 2]),
      f32([1, 1, 2], [0.5, -1]),
      f32([1, 1, 1], [2]),
      f32([1, 2], [0.1, 0.2]),
      undefined,
      f32([1, 1, 1], [0.3]),
    ]);
    expectClose(y, [1, 1, 1, 1], [Math.tanh(0.5 - 2 + 0.6 + 0.3)]);
    expectClose(yh, [1, 1, 1], [Math.tanh(-0.6)]);
  });

  it('feeds the state forward, and walks backwards for direction=reverse', () => {
    const X = f32([2, 1, 1], [1, -1]);
    const W = f32([1, 1, 1], [1]);
    const R = f32([1, 1, 1], [0.5]);
    const h1 = Math.tanh(1);
    const h2 = Math.tanh(-1 + 0.5 * h1);
    const [y, yh] = runOp('RNN', [X, W, R]);
    expectClose(y, [2, 1, 1, 1], [h1, h2]);
    expectClose(yh, [1, 1, 1], [h2]);
    const r1 = Math.tanh(-1);
    const r2 = Math.tanh(1 + 0.5 * r1);
    const [yr, yhr] = runOp('RNN', [X, W, R], { direction: str('reverse') });
    expectClose(yr, [2, 1, 1, 1], [r2, r1]);
    expectClose(yhr, [1, 1, 1], [r2]);
  });

  it('zeroes Y past each sequence length and reports the last valid state', () => {
    // batch 2, lengths 2 and 0: entry 1 never steps, so its Y is zero and its Y_h is zero (as onnxruntime).
    const [y, yh] = runOp('RNN', [
      f32([2, 2, 1], [1, 5, -1, 7]),
      f32([1, 1, 1], [1]),
      f32([1, 1, 1], [0.5]),
      undefined,
      tensorFrom('int32', [2], [2, 0]),
      f32([1, 2, 1], [0, 0.25]),
    ]);
    const h1 = Math.tanh(1);
    const h2 = Math.tanh(-1 + 0.5 * h1);
    expectClose(y, [2, 1, 2, 1], [h1, 0, h2, 0]);
    expectClose(yh, [1, 2, 1], [h2, 0]);
  });

  it('applies activation parameters in order and clip before the activation', () => {
    // LeakyRelu(alpha=0.1) of the clipped pre-activation -3 → clip 2 → -2 → -0.2
    const [, yh] = runOp('RNN', [f32([1, 1, 1], [-3]), f32([1, 1, 1], [1]), f32([1, 1, 1], [1])], {
      activations: strs(['LeakyRelu']),
      activation_alpha: floats([0.1]),
      clip: float(2),
    });
    expectClose(yh, [1, 1, 1], [-0.2]);
  });

  it('rejects a W whose shape does not match hidden_size', () => {
    expect(() =>
      runOp('RNN', [f32([1, 1, 2], [1, 2]), f32([1, 2, 2], [1, 2, 3, 4]), f32([1, 1, 1], [1])], {
        hidden_size: int(1),
      }),
    ).toThrow(KilnError);
    expect(() =>
      runOp('RNN', [f32([1, 1, 1], [1]), f32([1, 1, 1], [1]), f32([1, 1, 1], [1])], {
        activations: strs(['Swish']),
      }),
    ).toThrow(/unknown activation/);
  });
});

describe('LSTM', () => {
  it('computes one step with peepholes by the iofc equations', () => {
    const P = [0.1, 0.2, 0.3]; // i, o, f
    const c0 = 0.5;
    const [y, yh, yc] = runOp('LSTM', [
      f32([1, 1, 1], [1]),
      f32([1, 4, 1], [1, 2, 3, 4]), // i, o, f, c
      f32([1, 4, 1], [0, 0, 0, 0]),
      undefined,
      undefined,
      f32([1, 1, 1], [0]),
      f32([1, 1, 1], [c0]),
      f32([1, 3], P),
    ]);
    const i = sig(1 + P[0]! * c0);
    const f = sig(3 + P[2]! * c0);
    const c = f * c0 + i * Math.tanh(4);
    const o = sig(2 + P[1]! * c);
    expectClose(y, [1, 1, 1, 1], [o * Math.tanh(c)]);
    expectClose(yh, [1, 1, 1], [o * Math.tanh(c)]);
    expectClose(yc, [1, 1, 1], [c]);
  });

  it('couples the forget gate to the input gate with input_forget', () => {
    const [, , yc] = runOp(
      'LSTM',
      [
        f32([1, 1, 1], [1]),
        f32([1, 4, 1], [1, 2, 3, 4]),
        f32([1, 4, 1], [0, 0, 0, 0]),
        undefined,
        undefined,
        undefined,
        f32([1, 1, 1], [0.5]),
      ],
      { input_forget: int(1) },
    );
    const i = sig(1);
    expectClose(yc, [1, 1, 1], [(1 - i) * 0.5 + i * Math.tanh(4)]);
  });
});

describe('GRU', () => {
  const inputs = [
    f32([1, 1, 1], [1]),
    f32([1, 3, 1], [1, 2, 3]), // z, r, h
    f32([1, 3, 1], [0.5, 0.5, 0.5]),
    f32([1, 6], [0, 0, 0.1, 0, 0, 0.2]),
    undefined,
    f32([1, 1, 1], [0.4]),
  ];
  const z = sig(1 + 0.2);
  const r = sig(2 + 0.2);
  it('applies the reset gate before the recurrence by default', () => {
    const hh = Math.tanh(3 + 0.5 * (r * 0.4) + 0.2 + 0.1);
    expectClose(runOp('GRU', inputs)[1], [1, 1, 1], [(1 - z) * hh + z * 0.4]);
  });
  it('applies it after the recurrence with linear_before_reset', () => {
    const hh = Math.tanh(3 + r * (0.5 * 0.4 + 0.2) + 0.1);
    expectClose(
      runOp('GRU', inputs, { linear_before_reset: int(1) })[1],
      [1, 1, 1],
      [(1 - z) * hh + z * 0.4],
    );
  });
});

describe('layout=1 (batch first)', () => {
  it('equals the layout=0 result with batch and sequence axes swapped', () => {
    const S = 3,
      B = 2,
      I = 2,
      H = 3;
    const x0 = rand(S * B * I, 1);
    const x1 = new Array<number>(x0.length);
    for (let s = 0; s < S; s++)
      for (let b = 0; b < B; b++)
        for (let i = 0; i < I; i++) x1[(b * S + s) * I + i] = x0[(s * B + b) * I + i]!;
    const h0 = rand(2 * B * H, 2);
    const h1 = new Array<number>(h0.length);
    for (let d = 0; d < 2; d++)
      for (let b = 0; b < B; b++)
        for (let k = 0; k < H; k++) h1[(b * 2 + d) * H + k] = h0[(d * B + b) * H + k]!;
    const W = f32([2, 4 * H, I], rand(2 * 4 * H * I, 3));
    const R = f32([2, 4 * H, H], rand(2 * 4 * H * H, 4));
    const attrs = { direction: str('bidirectional') };
    const [y0, yh0] = runOp(
      'LSTM',
      [f32([S, B, I], x0), W, R, undefined, undefined, f32([2, B, H], h0)],
      attrs,
    ) as Tensor[];
    const [y1, yh1] = runOp('LSTM', [f32([B, S, I], x1), W, R, undefined, undefined, f32([B, 2, H], h1)], {
      ...attrs,
      layout: int(1),
    }) as Tensor[];
    expect([...y1!.shape]).toEqual([B, S, 2, H]);
    expect([...yh1!.shape]).toEqual([B, 2, H]);
    for (let s = 0; s < S; s++)
      for (let d = 0; d < 2; d++)
        for (let b = 0; b < B; b++)
          for (let k = 0; k < H; k++)
            expect(y1!.data[((b * S + s) * 2 + d) * H + k]).toBe(y0!.data[((s * 2 + d) * B + b) * H + k]);
    for (let d = 0; d < 2; d++)
      for (let b = 0; b < B; b++)
        for (let k = 0; k < H; k++)
          expect(yh1!.data[(b * 2 + d) * H + k]).toBe(yh0!.data[(d * B + b) * H + k]);
  });
});

describe('infer', () => {
  it('derives Y, Y_h, Y_c shapes, keeping symbolic dims', () => {
    const ins = [
      { dtype: 'float32' as const, shape: ['seq', 'batch', 8] },
      { dtype: 'float32' as const, shape: [2, 16, 8] },
    ];
    expect(inferOp('LSTM', ins, { hidden_size: int(4), direction: str('bidirectional') })).toEqual([
      { dtype: 'float32', shape: ['seq', 2, 'batch', 4] },
      { dtype: 'float32', shape: [2, 'batch', 4] },
      { dtype: 'float32', shape: [2, 'batch', 4] },
    ]);
    expect(
      inferOp(
        'GRU',
        [{ dtype: 'float32', shape: ['b', 's', 8] }, undefined, { dtype: 'float32', shape: [1, 15, 5] }],
        { layout: int(1) },
        21,
        2,
      ),
    ).toEqual([
      { dtype: 'float32', shape: ['b', 's', 1, 5] },
      { dtype: 'float32', shape: ['b', 1, 5] },
    ]);
  });
});

/** One recurrent node as an ONNX model whose inputs are all graph inputs, run on onnxruntime. */
async function compareWithOrt(
  op: 'RNN' | 'GRU' | 'LSTM',
  attrs: Record<string, Attribute>,
  feeds: (Tensor | undefined)[],
  opset = 14,
) {
  const names = ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'];
  const outNames = op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const inputs = feeds.map((t, i) => (t ? names[i]! : ''));
  const node = makeNode(op, inputs, outNames, attrs);
  const g = graph(
    'g',
    feeds.flatMap((t, i) => (t ? [vi(names[i]!, t.dtype, [...t.shape])] : [])),
    outNames.map((n) => vi(n, 'float32')),
    [node],
  );
  const feedMap: Record<string, Tensor> = {};
  feeds.forEach((t, i) => t && (feedMap[names[i]!] = t));
  const want = await runOrt(modelBytes(model(g, opset)), feedMap);
  const got = runOp(op, feeds, attrs, opset);
  outNames.forEach((n, i) => expectTensorsClose(got[i], want[n]!, 2e-5));
}

describe('against onnxruntime', () => {
  const S = 4,
    B = 3,
    I = 3,
    H = 5;
  const gatesOf = { RNN: 1, GRU: 3, LSTM: 4 } as const;
  for (const op of ['RNN', 'GRU', 'LSTM'] as const) {
    const G = gatesOf[op];
    for (const direction of ['forward', 'reverse', 'bidirectional']) {
      const D = direction === 'bidirectional' ? 2 : 1;
      const X = f32([S, B, I], rand(S * B * I, 11));
      const W = f32([D, G * H, I], rand(D * G * H * I, 12));
      const R = f32([D, G * H, H], rand(D * G * H * H, 13));
      it(`${op} ${direction} with only the required inputs`, async () => {
        await compareWithOrt(op, { hidden_size: int(H), direction: str(direction) }, [X, W, R]);
      });
      it(`${op} ${direction} with bias, sequence_lens, initial state, clip and ${op === 'LSTM' ? 'peepholes' : 'custom activations'}`, async () => {
        const feeds: (Tensor | undefined)[] = [
          X,
          W,
          R,
          f32([D, 2 * G * H], rand(D * 2 * G * H, 14)),
          tensorFrom('int32', [B], [4, 1, 3]),
          f32([D, B, H], rand(D * B * H, 15)),
        ];
        const attrs: Record<string, Attribute> = {
          hidden_size: int(H),
          direction: str(direction),
          clip: float(0.7),
        };
        if (op === 'LSTM')
          feeds.push(f32([D, B, H], rand(D * B * H, 16)), f32([D, 3 * H], rand(D * 3 * H, 17)));
        if (op === 'GRU') {
          attrs['activations'] = strs(Array.from({ length: D }, () => ['HardSigmoid', 'LeakyRelu']).flat());
          attrs['activation_alpha'] = floats([0.3, 0.05, 0.25, 0.02].slice(0, 2 * D));
          attrs['activation_beta'] = floats([0.45, 0.55].slice(0, D));
          attrs['linear_before_reset'] = int(1);
        }
        if (op === 'RNN')
          attrs['activations'] = strs(Array.from({ length: D }, (_, d) => (d ? 'Relu' : 'Sigmoid')));
        await compareWithOrt(op, attrs, feeds);
      });
    }
  }
  it('LSTM with input_forget and custom activations', async () => {
    const D = 1;
    const feeds = [
      f32([S, B, I], rand(S * B * I, 21)),
      f32([D, 4 * H, I], rand(4 * H * I, 22)),
      f32([D, 4 * H, H], rand(4 * H * H, 23)),
    ];
    await compareWithOrt(
      'LSTM',
      {
        hidden_size: int(H),
        input_forget: int(1),
        activations: strs(['Sigmoid', 'Softsign', 'Elu']),
        activation_alpha: floats([0.7]),
      },
      feeds,
    );
  });
});
