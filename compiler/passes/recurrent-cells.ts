/**
 * One time step of RNN, GRU and LSTM as plain ONNX nodes (the equations of the ONNX spec, as the
 * reference executor computes them in compiler/reference/ops/control/{rnn,gru,lstm}.ts). The
 * unrolling pass (recurrent-unrolling.ts) computes X·Wᵀ (+ the input bias) for all steps at once and
 * calls a cell's `step` once per time step and direction.
 */
import type { DType } from '../../runtime/dtype.js';
import { KilnError } from '../../runtime/errors.js';
import { tensorFrom } from '../../runtime/tensor.js';
import type { ActivationSpec } from '../reference/ops/control/rnn-activations.js';
import { type NodeEmitter, floatAttr, intAttr } from './node-emitter.js';

export type RecurrentOp = 'RNN' | 'GRU' | 'LSTM';

/** Gate count and default activations (per direction) of each op. */
export const RECURRENT_OPS: Record<RecurrentOp, { gates: number; activations: string[]; states: number }> = {
  RNN: { gates: 1, activations: ['Tanh'], states: 1 },
  GRU: { gates: 3, activations: ['Sigmoid', 'Tanh'], states: 1 },
  LSTM: { gates: 4, activations: ['Sigmoid', 'Tanh', 'Tanh'], states: 2 },
};

export interface CellParams {
  op: RecurrentOp;
  dtype: DType;
  hidden: number;
  /** The `clip` attribute (pre-activations clipped to [-clip, clip]), undefined when absent. */
  clip?: number;
  /** This direction's activations. */
  acts: ActivationSpec[];
  linearBeforeReset: boolean;
  inputForget: boolean;
}

/** This direction's weights: R as [gates·H, H]; Wb, Rb as [gates·H]; LSTM peepholes P as [3H]. */
export interface CellWeights {
  r: string;
  wb?: string;
  rb?: string;
  p?: string;
}

export interface CellState {
  h: string;
  /** LSTM's cell state. */
  c?: string;
}

export interface Cell {
  /** Added to X·Wᵀ for every step (undefined: nothing). */
  inputBias?: string;
  /** The next state from this step's X·Wᵀ + inputBias ([batch, gates·H]) and the previous state. */
  step(xw: string, prev: CellState): CellState;
}

/** An activation (as the `activations` attribute names it) applied to x, as ONNX nodes. */
export function emitActivation(em: NodeEmitter, spec: ActivationSpec, x: string, dtype: DType): string {
  const k = (v: number) => em.scalarOf(dtype, v);
  switch (spec.name) {
    case 'sigmoid':
      return em.op('Sigmoid', [x]);
    case 'tanh':
      return em.op('Tanh', [x]);
    case 'relu':
      return em.op('Relu', [x]);
    case 'softsign':
      return em.op('Softsign', [x]);
    case 'softplus':
      return em.op('Softplus', [x]);
    case 'leakyrelu':
      return em.op('LeakyRelu', [x], { alpha: floatAttr(spec.alpha) });
    case 'elu':
      return em.op('Elu', [x], { alpha: floatAttr(spec.alpha) });
    case 'hardsigmoid':
      return em.op('HardSigmoid', [x], { alpha: floatAttr(spec.alpha), beta: floatAttr(spec.beta) });
    case 'thresholdedrelu':
      return em.op('ThresholdedRelu', [x], { alpha: floatAttr(spec.alpha) });
    case 'affine':
      return em.op('Add', [em.op('Mul', [x, k(spec.alpha)]), k(spec.beta)]);
    case 'scaledtanh':
      return em.op('Mul', [em.op('Tanh', [em.op('Mul', [x, k(spec.beta)])]), k(spec.alpha)]);
    default:
      // activationSpecs has checked the names against the same list
      throw new KilnError(`unknown activation '${spec.name}'`);
  }
}

export function makeCell(em: NodeEmitter, p: CellParams, w: CellWeights): Cell {
  const H = p.hidden;
  // pre-activations are clipped, except the cell state LSTM's output activation reads
  const act = (i: number, x: string, clipped = true) =>
    emitActivation(
      em,
      p.acts[i]!,
      p.clip === undefined || !clipped ? x : em.clipSymmetric(x, p.clip, p.dtype),
      p.dtype,
    );
  const gemmT = (a: string, b: string, bias?: string) =>
    em.op('Gemm', bias ? [a, b, bias] : [a, b], { transB: intAttr(1) });
  const cols = (x: string, from: number, to: number) => em.slice(x, 1, from * H, to * H);
  const add = (a: string, b: string) => em.op('Add', [a, b]);
  const mul = (a: string, b: string) => em.op('Mul', [a, b]);
  const summedBias = w.wb && w.rb ? add(w.wb, w.rb) : (w.wb ?? w.rb);

  if (p.op === 'RNN') {
    return {
      inputBias: summedBias,
      step: (xw, prev) => ({ h: act(0, add(xw, gemmT(prev.h, w.r))) }),
    };
  }

  if (p.op === 'GRU') {
    const one = em.constant(tensorFrom(p.dtype, [], [1]), 'one');
    // z = f(Xz + Hz + Wbz + Rbz), r likewise; (1 - z)·h̃ + z·h
    const update = (z: string, hh: string, h: string) => add(mul(em.op('Sub', [one, z]), hh), mul(z, h));
    if (p.linearBeforeReset) {
      // h̃ = g(Xh + Wbh + r ⊙ (H·Rhᵀ + Rbh)): one Gemm over all three gates with Rb as its bias
      return {
        inputBias: w.wb,
        step: (xw, prev) => {
          const hr = gemmT(prev.h, w.r, w.rb);
          const zr = act(0, add(cols(xw, 0, 2), cols(hr, 0, 2)));
          const z = cols(zr, 0, 1);
          const r = cols(zr, 1, 2);
          const hh = act(1, add(cols(xw, 2, 3), mul(r, cols(hr, 2, 3))));
          return { h: update(z, hh, prev.h) };
        },
      };
    }
    // h̃ = g(Xh + Wbh + (r ⊙ H)·Rhᵀ + Rbh)
    const rzr = em.slice(w.r, 0, 0, 2 * H);
    const rh = em.slice(w.r, 0, 2 * H, 3 * H);
    const rbzr = w.rb && em.slice(w.rb, 0, 0, 2 * H);
    const rbh = w.rb && em.slice(w.rb, 0, 2 * H, 3 * H);
    return {
      inputBias: w.wb,
      step: (xw, prev) => {
        const zr = act(0, add(cols(xw, 0, 2), gemmT(prev.h, rzr, rbzr)));
        const z = cols(zr, 0, 1);
        const r = cols(zr, 1, 2);
        const hh = act(1, add(cols(xw, 2, 3), gemmT(mul(r, prev.h), rh, rbh)));
        return { h: update(z, hh, prev.h) };
      },
    };
  }

  // LSTM, gates in iofc order, peepholes in iof order
  const one = p.inputForget ? em.constant(tensorFrom(p.dtype, [], [1]), 'one') : undefined;
  const peep = (i: number) => (w.p ? em.slice(w.p, 0, i * H, (i + 1) * H) : undefined);
  const [pi, po, pf] = [peep(0), peep(1), peep(2)];
  const withPeep = (x: string, pw: string | undefined, c: string) => (pw ? add(x, mul(pw, c)) : x);
  return {
    inputBias: summedBias,
    step: (xw, prev) => {
      const gates = add(xw, gemmT(prev.h, w.r));
      const c = prev.c!;
      const i = act(0, withPeep(cols(gates, 0, 1), pi, c));
      const f = one ? em.op('Sub', [one, i]) : act(0, withPeep(cols(gates, 2, 3), pf, c));
      const cc = act(1, cols(gates, 3, 4));
      const cNew = add(mul(f, c), mul(i, cc));
      const o = act(0, withPeep(cols(gates, 1, 2), po, cNew));
      return { h: mul(o, act(2, cNew, false)), c: cNew };
    },
  };
}
