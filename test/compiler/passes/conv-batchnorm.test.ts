import { describe, expect, it } from 'vitest';
import { foldConvBatchNorm } from '../../../compiler/passes/conv-batchnorm.js';
import { graph, ints, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

const makeConvBn =
  (withBias: boolean, extraReader = false) =>
  () =>
    model(
      graph({
        inputs: [value('x', 'float32', [1, 3, 6, 6])],
        outputs: [value('y', 'float32'), ...(extraReader ? [value('c', 'float32')] : [])],
        initializers: {
          w: randomFloat32([4, 3, 3, 3], 2),
          ...(withBias ? { b: randomFloat32([4], 3) } : {}),
          scale: randomFloat32([4], 4, 0.5, 2),
          bias: randomFloat32([4], 5),
          mean: randomFloat32([4], 6),
          var: randomFloat32([4], 7, 0.1, 2),
        },
        nodes: [
          node('Conv', ['x', 'w', ...(withBias ? ['b'] : [])], ['c'], { pads: ints([1, 1, 1, 1]) }),
          node('BatchNormalization', ['c', 'scale', 'bias', 'mean', 'var'], ['y']),
        ],
      }),
    );

describe('Conv + BatchNormalization folding', () => {
  for (const withBias of [true, false]) {
    it(`folds the normalisation into weights and bias (conv ${withBias ? 'with' : 'without'} bias)`, () => {
      const { model: m, result } = applyAndCompare(makeConvBn(withBias), foldConvBatchNorm, {
        x: randomFloat32([1, 3, 6, 6], 1),
      });
      expect(ops(m)).toEqual(['Conv']);
      expect(m.graph.nodes[0]!.outputs).toEqual(['y']);
      expect(m.graph.nodes[0]!.inputs).toHaveLength(3);
      expect(result.changed).toBe(1);
    });
  }

  it('leaves it when the conv output has another reader', () => {
    const { model: m, result } = applyAndCompare(makeConvBn(true, true), foldConvBatchNorm, {
      x: randomFloat32([1, 3, 6, 6], 1),
    });
    expect(ops(m)).toEqual(['Conv', 'BatchNormalization']);
    expect(result.changed).toBe(0);
  });
});
