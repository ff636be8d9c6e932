import { describe, expect, it } from 'vitest';
import { foldConstants } from '../../../compiler/passes/constant-folding.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

describe('constant folding', () => {
  it('folds Constant nodes and arithmetic on constants into initializers', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3])],
          outputs: [value('y', 'float32', [2, 3])],
          initializers: { a: tensorFrom('float32', [3], [1, 2, 3]) },
          nodes: [
            node('Constant', [], ['b'], {
              value: { type: 'tensor', value: tensorFrom('float32', [3], [0.5, 0.25, 2]) },
            }),
            node('Mul', ['a', 'b'], ['ab']),
            node('Sqrt', ['ab'], ['s']),
            node('Add', ['x', 's'], ['y']),
          ],
        }),
      );
    const { model: m, result } = applyAndCompare(make, foldConstants, { x: randomFloat32([2, 3], 1) });
    expect(ops(m)).toEqual(['Add']);
    expect(result.changed).toBe(3);
    expect(Array.from(m.graph.initializers.get('s')!.data as Float32Array)).toEqual(
      [0.5, 0.5, 6].map((v) => Math.fround(Math.sqrt(v))),
    );
  });

  it('leaves ConstantOfShape/Expand whose output would grow far beyond their inputs', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [512, 512])],
          outputs: [value('y', 'float32', [512, 512]), value('z', 'float32', [4])],
          initializers: {
            shape: tensorFrom('int64', [2], [512, 512]),
            small: tensorFrom('int64', [1], [4]),
            one: tensorFrom('float32', [1], [3]),
          },
          nodes: [
            node('ConstantOfShape', ['shape'], ['big']),
            node('Add', ['x', 'big'], ['y']),
            node('Expand', ['one', 'small'], ['z']),
          ],
        }),
      );
    const { model: m } = applyAndCompare(make, foldConstants, { x: randomFloat32([512, 512], 2) });
    // 262144 new elements from 2 stays; a 4-element Expand folds (and may be a graph output).
    expect(ops(m)).toEqual(['ConstantOfShape', 'Add']);
    expect(m.graph.initializers.get('z')?.shape).toEqual([4]);
    const loose = model(make().graph);
    foldConstants(loose, { maxGrowth: 1 << 20 });
    expect(ops(loose)).toEqual(['Add']);
  });

  it('never folds random ops, even with constant inputs', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [3])],
          outputs: [value('y', 'float32', [3])],
          initializers: { c: tensorFrom('float32', [3], [1, 2, 3]), zero: tensorFrom('float32', [], [0]) },
          nodes: [
            node('RandomUniformLike', ['c'], ['r']),
            node('Mul', ['r', 'zero'], ['r0']),
            node('Add', ['x', 'r0'], ['y']),
          ],
        }),
      );
    // The reference backend has no random ops yet, so only the structure can be checked.
    const m = make();
    const result = foldConstants(m);
    expect(ops(m)).toEqual(['RandomUniformLike', 'Mul', 'Add']);
    expect(result.changed).toBe(0);
  });
});
