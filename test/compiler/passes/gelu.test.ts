import { describe, expect, it } from 'vitest';
import type { Node } from '../../../compiler/ir/graph.js';
import { recognizeGelu } from '../../../compiler/passes/gelu-recognition.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

const C = (v: number) => tensorFrom('float32', [], [v]);
const consts = {
  half: C(0.5),
  one: C(1),
  three: C(3),
  sqrt2: C(Math.SQRT2),
  invSqrt2: C(Math.SQRT1_2),
  k: C(0.044715),
  s2pi: C(Math.sqrt(2 / Math.PI)),
};

const make =
  (nodes: Node[], opset = 17) =>
  () =>
    model(
      graph({
        inputs: [value('x', 'float32', [4, 16])],
        outputs: [value('y', 'float32')],
        initializers: { ...consts },
        nodes: [node('Neg', ['x'], ['h']), ...nodes],
      }),
      opset,
    );

const feeds = { x: randomFloat32([4, 16], 1, -5, 5) };

const FORMS: [string, Node[], string][] = [
  [
    'PyTorch erf form x·0.5·(1+erf(x/√2))',
    [
      node('Div', ['h', 'sqrt2'], ['a']),
      node('Erf', ['a'], ['b']),
      node('Add', ['b', 'one'], ['c']),
      node('Mul', ['h', 'c'], ['d']),
      node('Mul', ['d', 'half'], ['y']),
    ],
    'none',
  ],
  [
    'erf form (0.5·x)·(1+erf(x·(1/√2)))',
    [
      node('Mul', ['half', 'h'], ['a']),
      node('Mul', ['h', 'invSqrt2'], ['b']),
      node('Erf', ['b'], ['c']),
      node('Add', ['one', 'c'], ['d']),
      node('Mul', ['a', 'd'], ['y']),
    ],
    'none',
  ],
  [
    'tanh form 0.5·x·(1+tanh(√(2/π)(x+0.044715x³)))',
    [
      node('Pow', ['h', 'three'], ['p']),
      node('Mul', ['k', 'p'], ['kp']),
      node('Add', ['h', 'kp'], ['s']),
      node('Mul', ['s', 's2pi'], ['t']),
      node('Tanh', ['t'], ['th']),
      node('Add', ['th', 'one'], ['o']),
      node('Mul', ['h', 'o'], ['ho']),
      node('Mul', ['ho', 'half'], ['y']),
    ],
    'tanh',
  ],
];

describe('GELU recognition', () => {
  for (const [name, nodes, approximate] of FORMS) {
    it(`recognises the ${name}`, () => {
      const { model: m, result } = applyAndCompare(make(nodes), recognizeGelu, feeds);
      expect(ops(m)).toEqual(['Neg', 'kiln.Gelu']);
      expect(m.graph.nodes[1]!.inputs).toEqual(['h']);
      expect(m.graph.nodes[1]!.outputs).toEqual(['y']);
      expect(m.graph.nodes[1]!.attrs.approximate).toEqual({ type: 'string', value: approximate });
      expect(result.changed).toBe(1);
    });
  }

  it('emits ONNX Gelu at opset 20', () => {
    const { model: m } = applyAndCompare(make(FORMS[0]![1], 20), recognizeGelu, feeds);
    expect(ops(m)).toEqual(['Neg', 'Gelu']);
  });

  it('does not take a look-alike with another constant (x·0.5·(1+erf(x/2)))', () => {
    const nodes = FORMS[0]![1].map((n) => (n.op === 'Div' ? { ...n, inputs: ['h', 'two'] } : n));
    const makeTwo = () => {
      const m = make(nodes)();
      m.graph.initializers.set('two', C(2));
      return m;
    };
    const { model: m, result } = applyAndCompare(makeTwo, recognizeGelu, feeds);
    expect(result.changed).toBe(0);
    expect(ops(m)).toHaveLength(6);
  });
});
