import { describe, expect, it } from 'vitest';
import { tensorFrom } from '../../../../../runtime/tensor.js';
import { expectClose, infer, run, vals } from './helpers.js';

// input [N=2, C=3] of log-probabilities; targets pick (0, 2) and (1, 1)
const input = () => tensorFrom('float32', [2, 3], [-1, -2, -3, -4, -5, -6]);
const target = (a: number[]) => tensorFrom('int64', [a.length], a);
const weight = () => tensorFrom('float32', [3], [0.5, 1, 2]);

describe('NegativeLogLikelihoodLoss', () => {
  it('computes none/sum/mean without weights', () => {
    expect(
      vals(run('NegativeLogLikelihoodLoss', [input(), target([2, 1])], { reduction: 'none' })[0]!),
    ).toEqual([3, 5]);
    expect(
      vals(run('NegativeLogLikelihoodLoss', [input(), target([2, 1])], { reduction: 'sum' })[0]!),
    ).toEqual([8]);
    const [m] = run('NegativeLogLikelihoodLoss', [input(), target([2, 1])]);
    expect(m!.shape).toEqual([]);
    expect(vals(m!)).toEqual([4]);
  });
  it('weights mean by the summed weights and skips ignore_index', () => {
    // (3*2 + 5*1) / (2 + 1)
    expectClose(vals(run('NegativeLogLikelihoodLoss', [input(), target([2, 1]), weight()])[0]!), [11 / 3]);
    // target 1 ignored: only the first element counts
    expectClose(
      vals(run('NegativeLogLikelihoodLoss', [input(), target([2, 1]), weight()], { ignore_index: 1 })[0]!),
      [3],
    );
    expect(
      vals(
        run('NegativeLogLikelihoodLoss', [input(), target([-1, 1])], {
          ignore_index: -1,
          reduction: 'none',
        })[0]!,
      ),
    ).toEqual([0, 5]);
  });
  it('handles extra spatial dims and rejects out-of-range targets', () => {
    // [N=1, C=2, D=2]: element d picks class target[d]
    const x = tensorFrom('float32', [1, 2, 2], [-1, -2, -3, -4]);
    const t = tensorFrom('int64', [1, 2], [1, 0]);
    const [l] = run('NegativeLogLikelihoodLoss', [x, t], { reduction: 'none' });
    expect(l!.shape).toEqual([1, 2]);
    expect(vals(l!)).toEqual([3, 2]);
    expect(() => run('NegativeLogLikelihoodLoss', [input(), target([3, 0])])).toThrow(/out of range/);
    expect(() => run('NegativeLogLikelihoodLoss', [input(), target([0, 0]), target([1, 1, 1])])).toThrow(
      /weight has dtype/,
    );
  });
  it('infers scalar or [N, d...] loss', () => {
    const xt = { dtype: 'float32' as const, shape: ['N', 3, 5] };
    const tt = { dtype: 'int64' as const, shape: ['N', 5] };
    expect(infer('NegativeLogLikelihoodLoss', [xt, tt])).toEqual([{ dtype: 'float32', shape: [] }]);
    expect(infer('NegativeLogLikelihoodLoss', [xt, tt], { reduction: 'none' })).toEqual([
      { dtype: 'float32', shape: ['N', 5] },
    ]);
  });
});

describe('SoftmaxCrossEntropyLoss', () => {
  it('is NLL of log_softmax and returns log_prob', () => {
    const x = tensorFrom('float32', [1, 2], [0, Math.log(3)]);
    // softmax = [1/4, 3/4]
    const [l, lp] = run('SoftmaxCrossEntropyLoss', [x, target([1])], {}, 13, 2);
    expectClose(vals(l!), [-Math.log(0.75)]);
    expectClose(vals(lp!), [Math.log(0.25), Math.log(0.75)]);
    const [s] = run('SoftmaxCrossEntropyLoss', [x, target([0]), tensorFrom('float32', [2], [2, 1])], {
      reduction: 'sum',
    });
    expectClose(vals(s!), [-2 * Math.log(0.25)]);
  });
});
