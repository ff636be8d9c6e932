import { describe, expect, it } from 'vitest';
import type { Node } from '../../../compiler/ir/graph.js';
import { recognizeLayerNorm } from '../../../compiler/passes/layernorm-recognition.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

/** x[2,5,8] normalised over the last axis as PyTorch exports it (ReduceMean axes as attribute). */
function decomposed(
  opts: { square?: 'pow' | 'mul'; affine?: boolean; axes?: number[]; output?: string } = {},
): Node[] {
  const axes = { axes: ints(opts.axes ?? [-1]) };
  const nodes: Node[] = [
    node('ReduceMean', ['x'], ['m'], axes),
    node('Sub', ['x', 'm'], ['d']),
    opts.square === 'mul' ? node('Mul', ['d', 'd'], ['sq']) : node('Pow', ['d', 'two'], ['sq']),
    node('ReduceMean', ['sq'], ['v'], axes),
    node('Add', ['v', 'eps'], ['ve']),
    node('Sqrt', ['ve'], ['s']),
    node('Div', ['d', 's'], [opts.affine === false ? 'y' : 'n']),
  ];
  if (opts.affine !== false)
    nodes.push(node('Mul', ['gamma', 'n'], ['g']), node('Add', ['g', 'beta'], ['y']));
  return nodes;
}

const make =
  (nodes: Node[], opset = 17, xShape: (number | string)[] = [2, 5, 8]) =>
  () =>
    model(
      graph({
        inputs: [value('x', 'float32', xShape)],
        outputs: [value('y', 'float32')],
        initializers: {
          two: tensorFrom('float32', [], [2]),
          eps: tensorFrom('float32', [], [1e-5]),
          gamma: randomFloat32([8], 2, 0.5, 1.5),
          beta: randomFloat32([8], 3),
        },
        nodes,
      }),
      opset,
    );

const feeds = { x: randomFloat32([2, 5, 8], 1, -3, 3) };

describe('LayerNormalization recognition', () => {
  it('replaces the decomposed form with LayerNormalization (opset 17)', () => {
    const { model: m, result } = applyAndCompare(make(decomposed()), recognizeLayerNorm, feeds);
    expect(ops(m)).toEqual(['LayerNormalization']);
    const ln = m.graph.nodes[0]!;
    expect(ln.inputs[0]).toBe('x');
    expect(ln.outputs).toEqual(['y']);
    expect(ln.attrs.axis).toEqual({ type: 'int', value: 2 });
    expect(ln.attrs.epsilon).toEqual({ type: 'float', value: Math.fround(1e-5) });
    expect(result.changed).toBe(1);
  });

  it('uses kiln.LayerNormalization before opset 17, accepts d·d, and works without γ/β', () => {
    const { model: m } = applyAndCompare(
      make(decomposed({ square: 'mul', affine: false }), 13),
      recognizeLayerNorm,
      feeds,
    );
    expect(ops(m)).toEqual(['kiln.LayerNormalization']);
    expect(m.opsetImports.get('kiln')).toBe(1);
  });

  it('takes the normalised shape from γ when the last dim is symbolic', () => {
    const { model: m } = applyAndCompare(make(decomposed(), 17, [2, 5, 'C']), recognizeLayerNorm, feeds);
    expect(ops(m)).toEqual(['LayerNormalization']);
  });

  it('leaves a mean over a leading axis alone', () => {
    const { model: m, result } = applyAndCompare(
      make(decomposed({ axes: [1], affine: false })),
      recognizeLayerNorm,
      feeds,
    );
    expect(ops(m)).toHaveLength(7);
    expect(result.changed).toBe(0);
  });

  it('reads ReduceMean axes from an input at opset 18', () => {
    const nodes = decomposed().map((n) =>
      n.op === 'ReduceMean' ? { ...n, inputs: [n.inputs[0]!, 'axes'], attrs: { keepdims: int(1) } } : n,
    );
    const make18 = () => {
      const m = make(nodes, 18)();
      m.graph.initializers.set('axes', tensorFrom('int64', [1], [-1]));
      return m;
    };
    const { model: m } = applyAndCompare(make18, recognizeLayerNorm, feeds);
    expect(ops(m)).toEqual(['LayerNormalization']);
  });
});
