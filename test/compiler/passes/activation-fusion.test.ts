import { describe, expect, it } from 'vitest';
import type { Model, Node } from '../../../compiler/ir/graph.js';
import { fuseActivations } from '../../../compiler/passes/activation-fusion.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

const C = (v: number) => tensorFrom('float32', [], [v]);
const consts = {
  w: randomFloat32([4, 3, 3, 3], 2),
  b: randomFloat32([4], 3),
  zero: C(0),
  six: C(6),
  three: C(3),
  half: C(0.5),
  one: C(1),
  sqrt2: C(Math.SQRT2),
};

/** Conv followed by the activation nodes `act` reading 'c' and writing 'y'. */
const convThen =
  (act: Node[], opset = 17) =>
  () =>
    model(
      graph({
        inputs: [value('x', 'float32', [1, 3, 6, 6])],
        outputs: [value('y', 'float32')],
        initializers: { ...consts },
        nodes: [node('Conv', ['x', 'w', 'b'], ['c']), ...act],
      }),
      opset,
    );

// Inputs scaled so the conv output spans every piece of the activations (beyond ±3 for hard-swish).
const feeds = { x: randomFloat32([1, 3, 6, 6], 1, -4, 4) };

const CASES: [string, Node[], string, number[]][] = [
  ['Relu', [node('Relu', ['c'], ['y'])], 'relu', []],
  ['Clip(0, 6)', [node('Clip', ['c', 'zero', 'six'], ['y'])], 'clip', [0, 6]],
  [
    'LeakyRelu',
    [node('LeakyRelu', ['c'], ['y'], { alpha: { type: 'float', value: 0.1 } })],
    'leaky_relu',
    [0.1],
  ],
  ['HardSwish', [node('HardSwish', ['c'], ['y'])], 'hard_swish', []],
  ['x·σ(x)', [node('Sigmoid', ['c'], ['s']), node('Mul', ['s', 'c'], ['y'])], 'silu', []],
  [
    'x·HardSigmoid(x)',
    [
      node('HardSigmoid', ['c'], ['h'], { alpha: { type: 'float', value: 1 / 6 } }),
      node('Mul', ['c', 'h'], ['y']),
    ],
    'hard_swish',
    [],
  ],
  [
    'x·clip(x+3, 0, 6)/6',
    [
      node('Add', ['c', 'three'], ['a']),
      node('Clip', ['a', 'zero', 'six'], ['k']),
      node('Mul', ['c', 'k'], ['m']),
      node('Div', ['m', 'six'], ['y']),
    ],
    'hard_swish',
    [],
  ],
  [
    'x·0.5·(1+erf(x/√2))',
    [
      node('Div', ['c', 'sqrt2'], ['d']),
      node('Erf', ['d'], ['e']),
      node('Add', ['e', 'one'], ['a']),
      node('Mul', ['c', 'a'], ['m']),
      node('Mul', ['m', 'half'], ['y']),
    ],
    'gelu',
    [],
  ],
];

describe('activation fusion', () => {
  for (const [name, act, activation, params] of CASES) {
    it(`Conv → ${name} becomes kiln.FusedConv{${activation}}`, () => {
      const { model: m, result } = applyAndCompare(convThen(act), fuseActivations, feeds);
      expect(ops(m)).toEqual(['kiln.FusedConv']);
      const fused = m.graph.nodes[0]!;
      expect(fused.outputs).toEqual(['y']);
      expect(fused.attrs.activation).toEqual({ type: 'string', value: activation });
      expect(fused.attrs.activation_params).toEqual({ type: 'floats', value: params });
      expect(result.changed).toBe(1);
    });
  }

  it('reads Clip bounds from attributes before opset 11', () => {
    const act = [
      node('Clip', ['c'], ['y'], { min: { type: 'float', value: 0 }, max: { type: 'float', value: 6 } }),
    ];
    const { model: m } = applyAndCompare(convThen(act, 9), fuseActivations, feeds);
    expect(m.graph.nodes[0]!.attrs.activation_params).toEqual({ type: 'floats', value: [0, 6] });
  });

  it('does not fuse when the conv output is also read elsewhere, or for x·σ(2x)', () => {
    const shared = convThen([node('Relu', ['c'], ['r']), node('Add', ['r', 'c'], ['y'])]);
    expect(ops(applyAndCompare(shared, fuseActivations, feeds).model)).toEqual(['Conv', 'Relu', 'Add']);
    const two = { ...consts, two: C(2) };
    const notSilu = (): Model => {
      const m = convThen([
        node('Mul', ['c', 'two'], ['c2']),
        node('Sigmoid', ['c2'], ['s']),
        node('Mul', ['c', 's'], ['y']),
      ])();
      for (const [k, v] of Object.entries(two)) m.graph.initializers.set(k, v);
      return m;
    };
    expect(ops(applyAndCompare(notSilu, fuseActivations, feeds).model)).toEqual([
      'Conv',
      'Mul',
      'Sigmoid',
      'Mul',
    ]);
  });

  it('fuses Gemm → Relu and MatMul → Sigmoid', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 4])],
          outputs: [value('y', 'float32'), value('z', 'float32')],
          initializers: { w: randomFloat32([4, 3], 2) },
          nodes: [
            node('Gemm', ['x', 'w'], ['g']),
            node('Relu', ['g'], ['y']),
            node('MatMul', ['x', 'w'], ['p']),
            node('Sigmoid', ['p'], ['z']),
          ],
        }),
      );
    const { model: m } = applyAndCompare(make, fuseActivations, { x: randomFloat32([2, 4], 1) });
    expect(ops(m)).toEqual(['kiln.FusedGemm', 'kiln.FusedMatMul']);
  });

  it('fuses ONNX Gelu (opset 20, both approximations) into the MatMul', () => {
    const make = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [2, 3, 4])],
          outputs: [value('y', 'float32'), value('z', 'float32')],
          initializers: { w: randomFloat32([4, 5], 2) },
          nodes: [
            node('MatMul', ['x', 'w'], ['p']),
            node('Gelu', ['p'], ['y']),
            node('MatMul', ['x', 'w'], ['q']),
            node('Gelu', ['q'], ['z'], { approximate: { type: 'string', value: 'tanh' } }),
          ],
        }),
        20,
      );
    const { model: m } = applyAndCompare(make, fuseActivations, { x: randomFloat32([2, 3, 4], 1, -3, 3) });
    expect(ops(m)).toEqual(['kiln.FusedMatMul', 'kiln.FusedMatMul']);
    expect(m.graph.nodes.map((n) => n.attrs.activation)).toEqual([
      { type: 'string', value: 'gelu' },
      { type: 'string', value: 'gelu_tanh' },
    ]);
  });
});
