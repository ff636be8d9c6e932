import { describe, expect, it } from 'vitest';
import { fuseElementwise } from '../../../compiler/passes/elementwise-fusion.js';
import { parseExpr } from '../../../compiler/passes/elementwise-expr.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

const feeds = { x: randomFloat32([2, 3, 4], 1, -2, 2), y: randomFloat32([3, 1], 2, 0.5, 2) };

describe('elementwise fusion', () => {
  it('fuses a broadcasting chain with constants and a second tensor into one kiln.Elementwise', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3, 4]), value('y', 'float32', [3, 1])],
          outputs: [value('out', 'float32')],
          initializers: {
            two: tensorFrom('float32', [], [2]),
            bias: randomFloat32([4], 3),
            zero: tensorFrom('float32', [], [0]),
            six: tensorFrom('float32', [], [6]),
          },
          nodes: [
            node('Mul', ['x', 'two'], ['a']),
            node('Add', ['a', 'bias'], ['b']),
            node('Div', ['b', 'y'], ['c']),
            node('Tanh', ['c'], ['d']),
            node('Clip', ['d', 'zero', 'six'], ['e']),
            node('Pow', ['e', 'two'], ['f']),
            node('Sub', ['f', 'x'], ['out']),
          ],
        }),
      );
    const { model: m, result } = applyAndCompare(make, fuseElementwise, feeds);
    expect(ops(m)).toEqual(['kiln.Elementwise']);
    const fused = m.graph.nodes[0]!;
    expect(fused.inputs).toEqual(['x', 'bias', 'y']);
    expect(fused.outputs).toEqual(['out']);
    const attr = fused.attrs.expression;
    expect(attr?.type).toBe('string');
    expect(parseExpr(attr!.value as string, 3).kind).toBe('binary');
    expect(result.changed).toBe(6);
  });

  it('stops at values read outside the chain and at non-elementwise ops', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3, 4]), value('y', 'float32', [3, 1])],
          outputs: [value('out', 'float32'), value('a', 'float32')],
          nodes: [
            node('Exp', ['x'], ['a']), // a graph output: the chain must start after it
            node('Neg', ['a'], ['b']),
            node('Softmax', ['b'], ['s']),
            node('Sqrt', ['s'], ['t']),
            node('Mul', ['t', 'y'], ['out']),
          ],
        }),
      );
    const { model: m } = applyAndCompare(make, fuseElementwise, feeds);
    expect(ops(m)).toEqual(['Exp', 'Neg', 'Softmax', 'kiln.Elementwise']);
  });

  it('leaves integer arithmetic alone', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('i', 'int64', [3])],
          outputs: [value('out', 'int64')],
          initializers: { k: tensorFrom('int64', [], [3]) },
          nodes: [node('Mul', ['i', 'k'], ['a']), node('Add', ['a', 'k'], ['out'])],
        }),
      );
    const { model: m, result } = applyAndCompare(make, fuseElementwise, {
      i: tensorFrom('int64', [3], [1, 2, 3]),
    });
    expect(ops(m)).toEqual(['Mul', 'Add']);
    expect(result.changed).toBe(0);
  });

  it('leaves opset-6 ops that broadcast along an axis (legacy rules) alone', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [3, 3])],
          outputs: [value('out', 'float32')],
          initializers: { b: tensorFrom('float32', [3], [1, 2, 3]) },
          nodes: [
            node('Add', ['x', 'b'], ['a'], {
              broadcast: { type: 'int', value: 1 },
              axis: { type: 'int', value: 0 },
            }),
            node('Exp', ['a'], ['e']),
            node('Neg', ['e'], ['out']),
          ],
        }),
        6,
      );
    const { model: m } = applyAndCompare(make, fuseElementwise, { x: randomFloat32([3, 3], 4) });
    expect(ops(m)).toEqual(['Add', 'kiln.Elementwise']);
  });
});
