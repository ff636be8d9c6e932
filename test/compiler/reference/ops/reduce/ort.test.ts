import { describe, it } from 'vitest';
import { tensorFrom } from '../../../../../runtime/tensor.js';
import { checkAgainstOrt, rand } from './ort-check.js';

const f32 = (shape: number[], seed: number, lo = -2, hi = 2) =>
  tensorFrom(
    'float32',
    shape,
    rand(
      seed,
      shape.reduce((a, b) => a * b, 1),
      lo,
      hi,
    ),
  );
const i64 = (shape: number[], v: number[]) => tensorFrom('int64', shape, v);

const REDUCE = [
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
];

describe('reduce ops agree with onnxruntime', () => {
  it('Reduce* at opset 18 with axes input, keepdims and negative axes', async () => {
    for (const op of REDUCE) {
      const x = op === 'ReduceLogSum' ? f32([2, 3, 4], 7, 0.1, 2) : f32([2, 3, 4], 7);
      await checkAgainstOrt(op, [x, i64([2], [0, -1])], { keepdims: 0 });
      await checkAgainstOrt(op, [x, i64([1], [1])], {});
      await checkAgainstOrt(op, [x], { keepdims: 0 });
    }
  });

  it('Reduce* at opset 13 with the axes attribute and int32 input', async () => {
    const x = tensorFrom('int32', [3, 4], [1, -2, 3, 4, 5, 6, -7, 8, 9, 10, 11, 12]);
    for (const op of [
      'ReduceSum',
      'ReduceMean',
      'ReduceMax',
      'ReduceMin',
      'ReduceProd',
      'ReduceL1',
      'ReduceSumSquare',
    ]) {
      if (op === 'ReduceSum') await checkAgainstOrt(op, [x, i64([1], [1])], {}, 13);
      else await checkAgainstOrt(op, [x], { axes: [1] }, 13);
    }
  });

  it('ReduceSum/ReduceMax over int64 and empty axes with noop', async () => {
    const x = i64([2, 3], [1, 2, 3, 4, 5, 6]);
    await checkAgainstOrt('ReduceSum', [x, i64([1], [0])], { keepdims: 0 }, 13);
    await checkAgainstOrt('ReduceMax', [x, i64([1], [-1])], {}, 18);
    await checkAgainstOrt('ReduceSum', [f32([2, 3], 3), i64([0], [])], { noop_with_empty_axes: 1 }, 13);
    // Reducing over no axes applies each reduction to single elements (x^2, |x|, log x, ...).
    for (const op of REDUCE)
      await checkAgainstOrt(op, [f32([2, 3], 3, 0.1, 2), i64([0], [])], { noop_with_empty_axes: 1 }, 18);
    const b = tensorFrom('bool', [2, 3], [1, 0, 0, 0, 1, 1]);
    await checkAgainstOrt('ReduceMax', [b, i64([1], [1])], {}, 20);
    await checkAgainstOrt('ReduceMin', [b, i64([1], [1])], {}, 20);
  });

  // ReduceMean of an empty set is NaN here as in the ONNX reference (onnxruntime returns 0), so it is not compared.
  it('reductions over an empty axis give identities', async () => {
    const e = tensorFrom('float32', [2, 0, 3], []);
    for (const op of [
      'ReduceSum',
      'ReduceProd',
      'ReduceMax',
      'ReduceMin',
      'ReduceL2',
      'ReduceLogSumExp',
      'ReduceSumSquare',
    ])
      await checkAgainstOrt(op, [e, i64([1], [1])], { keepdims: 1 });
  });

  it('ArgMax/ArgMin with ties and select_last_index', async () => {
    const x = tensorFrom('float32', [3, 4], [1, 3, 3, 0, 2, 2, 2, 2, 5, -1, 5, -1]);
    for (const op of ['ArgMax', 'ArgMin'])
      for (const last of [0, 1]) {
        await checkAgainstOrt(op, [x], { axis: 1, select_last_index: last }, 13);
        await checkAgainstOrt(op, [x], { axis: -2, keepdims: 0, select_last_index: last }, 13);
      }
  });

  it('TopK largest/smallest along inner and outer axes', async () => {
    const x = tensorFrom('float32', [3, 5], [1, 4, 4, 2, 0, 3, 3, 3, 1, 9, -1, 2, 7, 7, 0]);
    await checkAgainstOrt('TopK', [x, i64([1], [3])], {}, 11, 2);
    await checkAgainstOrt('TopK', [x, i64([1], [2])], { largest: 0 }, 11, 2);
    await checkAgainstOrt('TopK', [x, i64([1], [2])], { axis: 0 }, 11, 2);
    await checkAgainstOrt('TopK', [tensorFrom('int64', [4], [5, 1, 5, 3]), i64([1], [4])], {}, 11, 2);
  });

  it('CumSum on 3-D input in all modes', async () => {
    const x = f32([2, 3, 4], 11);
    for (const exclusive of [0, 1])
      for (const reverse of [0, 1])
        await checkAgainstOrt('CumSum', [x, i64([], [1])], { exclusive, reverse }, 14);
    await checkAgainstOrt(
      'CumSum',
      [tensorFrom('int32', [5], [1, 2, 3, 4, 5]), tensorFrom('int32', [], [-1])],
      {},
      14,
    );
  });

  it('Range for floats and ints', async () => {
    const s = (d: 'float32' | 'int32', v: number) => tensorFrom(d, [], [v]);
    await checkAgainstOrt('Range', [s('float32', -1.5), s('float32', 3.2), s('float32', 0.7)], {}, 11);
    await checkAgainstOrt('Range', [s('int32', 9), s('int32', -4), s('int32', -4)], {}, 11);
  });

  it('Einsum equations', async () => {
    const cases: [string, number[][]][] = [
      [
        'bij,bjk->bik',
        [
          [2, 3, 4],
          [2, 4, 5],
        ],
      ],
      ['ii->i', [[4, 4]]],
      [
        'ij,ij->',
        [
          [3, 4],
          [3, 4],
        ],
      ],
      ['i,j', [[3], [4]]],
      [
        'bhqd,bhkd->bhqk',
        [
          [1, 2, 3, 4],
          [1, 2, 5, 4],
        ],
      ],
      ['...ij->...ji', [[2, 3, 4]]],
      ['ij->', [[3, 5]]],
      ['ijk', [[2, 3, 2]]],
      [
        '...i,...i->...',
        [
          [3, 4],
          [1, 4],
        ],
      ],
      [
        'bij,bkj->bik',
        [
          [2, 3, 4],
          [2, 5, 4],
        ],
      ],
      [
        'ij,jk,kl->il',
        [
          [2, 3],
          [3, 4],
          [4, 2],
        ],
      ],
    ];
    let seed = 20;
    for (const [equation, shapes] of cases)
      await checkAgainstOrt(
        'Einsum',
        shapes.map((s) => f32(s, seed++)),
        { equation },
        12,
      );
  });

  it('Trilu, Det, EyeLike, OneHot, NonZero, Compress', async () => {
    const x = f32([2, 3, 4], 31);
    for (const upper of [0, 1])
      for (const k of [-1, 0, 2]) await checkAgainstOrt('Trilu', [x, i64([], [k])], { upper }, 14);
    await checkAgainstOrt('Det', [f32([3, 4, 4], 32)], {}, 11, 1, 1e-4);
    await checkAgainstOrt('EyeLike', [f32([3, 5], 33)], { k: -1 }, 9);
    const ind = i64([2, 2], [0, -1, 3, 7]);
    const depth = tensorFrom('int64', [], [4]);
    const values = tensorFrom('float32', [2], [-1, 2]);
    await checkAgainstOrt('OneHot', [ind, depth, values], { axis: 1 }, 11);
    await checkAgainstOrt('NonZero', [tensorFrom('int32', [2, 3], [0, 1, 0, 2, 0, 3])], {}, 13);
    await checkAgainstOrt('Compress', [x, tensorFrom('bool', [3], [1, 0, 1])], { axis: -2 }, 11);
  });

  it('Unique sorted and unsorted, with and without axis', async () => {
    const x = tensorFrom('float32', [4, 2], [2, 1, 0, 3, 2, 1, 0, 3]);
    await checkAgainstOrt('Unique', [x], { sorted: 1 }, 11, 4);
    await checkAgainstOrt('Unique', [x], { sorted: 0 }, 11, 4);
    await checkAgainstOrt('Unique', [x], { axis: 0 }, 11, 4);
    await checkAgainstOrt('Unique', [x], { axis: 0, sorted: 0 }, 11, 4);
  });

  it('NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss', async () => {
    const x = f32([3, 4, 2], 41);
    const t = i64([3, 2], [0, 3, 1, -5, 2, 2]);
    const w = tensorFrom('float32', [4], [0.2, 0.5, 1, 2]);
    for (const reduction of ['none', 'sum', 'mean']) {
      await checkAgainstOrt('NegativeLogLikelihoodLoss', [x, t, w], { reduction, ignore_index: -5 }, 13);
      await checkAgainstOrt('SoftmaxCrossEntropyLoss', [x, t, w], { reduction, ignore_index: -5 }, 13, 2);
      await checkAgainstOrt('SoftmaxCrossEntropyLoss', [x, t], { reduction, ignore_index: -5 }, 13, 2);
    }
  });

  it('DFT, STFT and windows', async () => {
    const x = f32([2, 6, 2], 51);
    await checkAgainstOrt('DFT', [x], {}, 17, 1, 1e-4);
    await checkAgainstOrt('DFT', [x], { inverse: 1 }, 17, 1, 1e-4);
    await checkAgainstOrt('DFT', [f32([2, 6, 1], 52), i64([], [8])], { onesided: 1 }, 17, 1, 1e-4);
    await checkAgainstOrt(
      'STFT',
      [f32([1, 16, 1], 53), i64([], [4]), tensorFrom('float32', [8], rand(3, 8, 0, 1))],
      {},
      17,
      1,
      1e-4,
    );
    await checkAgainstOrt('DFT', [f32([2, 5, 3, 2], 54), undefined, i64([], [-3])], {}, 20, 1, 1e-4);
    await checkAgainstOrt(
      'DFT',
      [f32([2, 6, 1], 55), i64([], [5]), i64([], [1])],
      { inverse: 1 },
      20,
      1,
      1e-4,
    );
    await checkAgainstOrt(
      'STFT',
      [f32([2, 12, 2], 56), i64([], [3]), undefined, i64([], [5])],
      { onesided: 0 },
      17,
      1,
      1e-4,
    );
    const mel = [8, 32, 8000, 100, 3500].map((v, i) =>
      i < 3 ? tensorFrom('int64', [], [v]) : tensorFrom('float32', [], [v]),
    );
    await checkAgainstOrt('MelWeightMatrix', mel, {}, 17);
    for (const op of ['HannWindow', 'HammingWindow', 'BlackmanWindow'])
      for (const periodic of [0, 1])
        await checkAgainstOrt(op, [tensorFrom('int64', [], [10])], { periodic }, 17);
  });

  it('NonMaxSuppression on random boxes', async () => {
    const boxes = tensorFrom('float32', [2, 8, 4], rand(61, 64, 0, 1));
    const scores = tensorFrom('float32', [2, 3, 8], rand(62, 48, 0, 1));
    const f = (v: number) => tensorFrom('float32', [1], [v]);
    await checkAgainstOrt('NonMaxSuppression', [boxes, scores, i64([1], [3]), f(0.3), f(0.2)], {}, 11);
    await checkAgainstOrt(
      'NonMaxSuppression',
      [boxes, scores, i64([1], [8]), f(0.1)],
      { center_point_box: 1 },
      11,
    );
  });
});
