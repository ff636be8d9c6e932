import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import { expectClose, f32, float, infer, int, ints, makeNode, opDef, run, run1, t, ti } from './helpers.js';

describe('BatchNormalization', () => {
  it('normalizes with running statistics', () => {
    const x = f32([1, 2, 2], [1, 3, 10, 20]);
    const y = run1(
      'BatchNormalization',
      [x, f32([2], [2, 1]), f32([2], [0, 1]), f32([2], [2, 15]), f32([2], [4, 25])],
      {
        epsilon: float(0),
      },
    );
    // c0: (x-2)/2*2 → -1, 1; c1: (x-15)/5 + 1 → 0, 2.
    expectClose(y, [1, 2, 2], [-1, 1, 0, 2]);
  });

  it('uses batch statistics and updates running ones in training mode', () => {
    const x = f32([2, 1, 1], [1, 3]);
    const outs = run(
      'BatchNormalization',
      [x, f32([1], [1]), f32([1], [0]), f32([1], [0]), f32([1], [1])],
      { epsilon: float(0), momentum: float(0.5), training_mode: int(1) },
      15,
    );
    expectClose(outs[0]!, [2, 1, 1], [-1, 1]); // batch mean 2, population var 1
    expectClose(outs[1]!, [1], [1]); // 0*0.5 + 2*0.5
    expectClose(outs[2]!, [1], [1]); // 1*0.5 + 1*0.5
  });

  it('rejects wrong parameter sizes', () => {
    const p = f32([3], [1, 1, 1]);
    expect(() => run1('BatchNormalization', [f32([1, 2], [1, 2]), p, p, p, p])).toThrow(KilnError);
  });
});

describe('LayerNormalization', () => {
  it('normalizes trailing axes and returns Mean and InvStdDev', () => {
    const x = f32([2, 2], [1, 3, 2, 6]);
    const [y, mean, inv] = run(
      'LayerNormalization',
      [x, f32([2], [1, 2]), f32([2], [0, 1])],
      { epsilon: float(0) },
      17,
    );
    expectClose(y!, [2, 2], [-1, 3, -1, 3]);
    expectClose(mean!, [2, 1], [2, 4]);
    expectClose(inv!, [2, 1], [1, 0.5]);
  });

  it('honours a negative axis over several dims', () => {
    const x = f32([1, 2, 2], [0, 2, 4, 6]);
    const y = run1('LayerNormalization', [x, f32([1], [1])], { axis: int(-2), epsilon: float(0) }, 17);
    const s = Math.sqrt(5);
    expectClose(y, [1, 2, 2], [-3 / s, -1 / s, 1 / s, 3 / s]);
  });

  it('infers statistic shapes', () => {
    const outs = opDef('LayerNormalization').infer({
      node: makeNode('LayerNormalization', { axis: int(1) }, 2, 3),
      opset: 17,
      inputs: [ti('float16', ['B', 'S', 8])],
      constants: [],
      freshDim: () => 'x',
      inferSubgraph: () => [],
    });
    expect(outs).toEqual([
      ti('float16', ['B', 'S', 8]),
      ti('float32', ['B', 1, 1]),
      ti('float32', ['B', 1, 1]),
    ]);
  });
});

describe('InstanceNormalization and GroupNormalization', () => {
  it('normalizes each (n, c) plane', () => {
    const x = f32([1, 2, 2], [1, 3, 5, 5]);
    const y = run1('InstanceNormalization', [x, f32([2], [2, 1]), f32([2], [0, 7])], { epsilon: float(0) });
    // Second plane has zero variance and eps 0: 0/0 → NaN, as the formula gives.
    expectClose(y, [1, 2, 2], [-2, 2, NaN, NaN]);
  });

  it('uses per-group scale at opset 18 and per-channel at opset 21', () => {
    const x = f32([1, 4, 1], [1, 3, 10, 30]);
    const y18 = run1(
      'GroupNormalization',
      [x, f32([2], [1, 2]), f32([2], [0, 1])],
      { num_groups: int(2), epsilon: float(0) },
      18,
    );
    expectClose(y18, [1, 4, 1], [-1, 1, -1, 3]);
    const y21 = run1(
      'GroupNormalization',
      [x, f32([4], [1, 2, 3, 4]), f32([4], [0, 0, 0, 1])],
      { num_groups: int(2), epsilon: float(0) },
      21,
    );
    expectClose(y21, [1, 4, 1], [-1, 2, -3, 5]);
  });
});

describe('LRN and MeanVarianceNormalization', () => {
  it('divides by the local channel energy', () => {
    const x = f32([1, 3, 1, 1], [1, 2, 3]);
    const y = run1('LRN', [x], { size: int(3), alpha: float(3), beta: float(1), bias: float(1) });
    // Windows: c0 {0,1} → 5, c1 {0,1,2} → 14, c2 {1,2} → 13; y = x / (1 + sum).
    expectClose(y, [1, 3, 1, 1], [1 / 6, 2 / 15, 3 / 14]);
  });

  it('normalizes over the given axes', () => {
    const x = f32([1, 1, 1, 4], [1, 2, 3, 4]);
    const sd = Math.sqrt(1.25);
    const y = run1('MeanVarianceNormalization', [x], { axes: ints([3]) });
    expectClose(y, [1, 1, 1, 4], [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd]);
  });
});

describe('Dropout', () => {
  it('is the identity with an all-true mask at inference', () => {
    const x = f32([3], [1, 2, 3]);
    const [y, mask] = run('Dropout', [x], {}, 13);
    expect(y).toBe(x);
    expect(mask!.dtype).toBe('bool');
    expect([...(mask!.data as Uint8Array)]).toEqual([1, 1, 1]);
  });

  it('drops and rescales in training mode', () => {
    const x = f32([1000], new Array(1000).fill(1));
    const [y, mask] = run('Dropout', [x, f32([], [0.5]), t('bool', [], [1])], { seed: int(3) }, 13);
    const m = mask!.data as Uint8Array;
    const yd = y!.data as Float32Array;
    let kept = 0;
    for (let i = 0; i < 1000; i++) {
      expect(yd[i]).toBe(m[i] ? 2 : 0);
      kept += m[i]!;
    }
    expect(kept).toBeGreaterThan(400);
    expect(kept).toBeLessThan(600);
  });

  it('infers a bool mask', () => {
    expect(infer('Dropout', [ti('float32', ['N', 4])], {}, 13)).toEqual([
      ti('float32', ['N', 4]),
      ti('bool', ['N', 4]),
    ]);
  });
});
