import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import type { Attribute, Model } from '../../../compiler/ir/graph.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { notUnrolledReason } from '../../../compiler/passes/not-unrolled.js';
import { unrollRecurrent } from '../../../compiler/passes/recurrent-unrolling.js';
import { type Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { WasmInstance } from '../../../runtime/wasm/instance.js';
import { compileWasm } from '../../../targets/wasm/compile.js';
import { graph, int, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops, run } from './check.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

type Op = 'RNN' | 'GRU' | 'LSTM';
const GATES: Record<Op, number> = { RNN: 1, GRU: 3, LSTM: 4 };

interface Case {
  op: Op;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  layout?: 0 | 1;
  seqLens?: number[];
  initial?: boolean;
  peepholes?: boolean;
  /** Weights as initializers (true) or graph inputs. */
  constWeights?: boolean;
  attrs?: Record<string, Attribute>;
  /** sequence_lens fed at run time rather than constant. */
  fedSeqLens?: boolean;
}

const T = 4;
const BATCH = 3;
const I = 5;
const H = 4;

/** One recurrent node with random operands, outputs Y, Y_h (and Y_c): the model factory and its feeds. */
function recurrentModel(c: Case): { make: () => Model; feeds: Record<string, Tensor> } {
  const D = c.direction === 'bidirectional' ? 2 : 1;
  const G = GATES[c.op];
  const layout = c.layout ?? 0;
  const xShape = layout === 0 ? [T, BATCH, I] : [BATCH, T, I];
  const stShape = layout === 0 ? [D, BATCH, H] : [BATCH, D, H];
  const operands: [string, Tensor][] = [
    ['X', randomFloat32(xShape, 1, -1, 1)],
    ['W', randomFloat32([D, G * H, I], 2, -0.6, 0.6)],
    ['R', randomFloat32([D, G * H, H], 3, -0.6, 0.6)],
    ['B', randomFloat32([D, 2 * G * H], 4, -0.5, 0.5)],
  ];
  if (c.seqLens) operands.push(['sequence_lens', tensorFrom('int32', [BATCH], c.seqLens)]);
  else operands.push(['', undefined as unknown as Tensor]);
  if (c.initial) operands.push(['initial_h', randomFloat32(stShape, 5, -1, 1)]);
  else operands.push(['', undefined as unknown as Tensor]);
  if (c.op === 'LSTM') {
    if (c.initial) operands.push(['initial_c', randomFloat32(stShape, 6, -1, 1)]);
    else operands.push(['', undefined as unknown as Tensor]);
    if (c.peepholes) operands.push(['P', randomFloat32([D, 3 * H], 7, -0.5, 0.5)]);
  }
  const fed = (name: string) =>
    name === 'X' || (name === 'sequence_lens' ? !!c.fedSeqLens : !c.constWeights && name !== '');
  const present = operands.filter(([n]) => n);
  const feeds = Object.fromEntries(present.filter(([n]) => fed(n)));
  const outputs = c.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const make = () =>
    model(
      graph({
        inputs: present.filter(([n]) => fed(n)).map(([n, t]) => value(n, t.dtype, [...t.shape])),
        outputs: outputs.map((o) => value(o, 'float32')),
        initializers: Object.fromEntries(present.filter(([n]) => !fed(n))),
        nodes: [
          node(
            c.op,
            operands.map(([n]) => n),
            outputs,
            {
              hidden_size: int(H),
              ...(c.direction ? { direction: { type: 'string', value: c.direction } } : {}),
              ...(layout ? { layout: int(layout) } : {}),
              ...c.attrs,
            },
            'rec',
          ),
        ],
      }),
      14,
    );
  return { make, feeds };
}

const CASES: [string, Case][] = [
  ['RNN forward', { op: 'RNN' }],
  [
    'RNN reverse with initial_h, constant weights',
    { op: 'RNN', direction: 'reverse', initial: true, constWeights: true },
  ],
  [
    'RNN bidirectional, relu and affine activations, clip',
    {
      op: 'RNN',
      direction: 'bidirectional',
      attrs: {
        activations: { type: 'strings', value: ['Relu', 'Affine'] },
        activation_alpha: { type: 'floats', value: [0.5] },
        activation_beta: { type: 'floats', value: [0.25] },
        clip: { type: 'float', value: 0.8 },
      },
    },
  ],
  ['GRU forward', { op: 'GRU' }],
  [
    'GRU linear_before_reset, bidirectional, initial_h',
    { op: 'GRU', direction: 'bidirectional', initial: true, attrs: { linear_before_reset: int(1) } },
  ],
  [
    'GRU reverse, layout 1, sequence_lens',
    { op: 'GRU', direction: 'reverse', layout: 1, initial: true, seqLens: [4, 2, 3] },
  ],
  ['LSTM forward', { op: 'LSTM' }],
  [
    'LSTM peepholes, initial state, sequence_lens with an empty entry',
    { op: 'LSTM', peepholes: true, initial: true, seqLens: [3, 0, 4] },
  ],
  [
    'LSTM bidirectional, layout 1, input_forget, leaky relu/scaled tanh activations',
    {
      op: 'LSTM',
      direction: 'bidirectional',
      layout: 1,
      peepholes: true,
      initial: true,
      attrs: {
        input_forget: int(1),
        activations: {
          type: 'strings',
          value: ['Sigmoid', 'LeakyRelu', 'ScaledTanh', 'HardSigmoid', 'Tanh', 'Tanh'],
        },
        activation_alpha: { type: 'floats', value: [0.1, 0.9, 0.3] },
        activation_beta: { type: 'floats', value: [1.1, 0.4] },
      },
    },
  ],
];

describe('recurrent unrolling', () => {
  it.each(CASES)('%s: plain ops only, outputs as the reference executor', (_, c) => {
    const { make, feeds } = recurrentModel(c);
    const { model: m, result } = applyAndCompare(make, unrollRecurrent, feeds);
    expect(result.changed).toBe(1);
    expect(ops(m)).not.toContain(c.op);
  });

  it('agrees with onnxruntime-node on a bidirectional LSTM with peepholes and sequence_lens', async () => {
    const { make, feeds } = recurrentModel({
      op: 'LSTM',
      direction: 'bidirectional',
      peepholes: true,
      initial: true,
      seqLens: [2, 4, 1],
    });
    const want = await runOrt(exportModel(make()), feeds);
    const m = make();
    unrollRecurrent(m);
    const got = await runOrt(exportModel(m), feeds);
    for (const name of ['Y', 'Y_h', 'Y_c'])
      expect(compareTensors(got[name]!, want[name]!, { rtol: 1e-5, atol: 1e-5 }), name).toBeUndefined();
  });

  it('runs on the wasm target after unrolling (GRU, layout 1, bidirectional)', () => {
    const { make, feeds } = recurrentModel({
      op: 'GRU',
      direction: 'bidirectional',
      layout: 1,
      initial: true,
      constWeights: true,
      seqLens: [1, 4, 3],
    });
    const c = compileWasm(make(), { selfTest: false });
    expect(c.lowered.kernels.length).toBeGreaterThan(0);
    const got = WasmInstance.instantiateSync(c.modules.relaxed, c.weights, c.layout).run(feeds);
    const expected = run(make(), feeds);
    for (const name of ['Y', 'Y_h'])
      expect(compareTensors(got[name]!, expected[name]!, { rtol: 1e-4, atol: 1e-5 }), name).toBeUndefined();
  });

  it('leaves a node whose sequence_lens is fed at run time, saying why', () => {
    const { make } = recurrentModel({ op: 'GRU', seqLens: [1, 2, 3], fedSeqLens: true });
    const m = make();
    expect(unrollRecurrent(m).changed).toBe(0);
    expect(notUnrolledReason(m.graph.nodes[0]!)).toMatch(/sequence_lens is computed at run time/);
    expect(() => compileWasm(m, { selfTest: false })).toThrow(/GRU cannot be lowered .*sequence_lens/);
  });
});
