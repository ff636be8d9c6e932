/**
 * Shared machinery of RNN, GRU and LSTM: reading and checking the inputs, walking the sequence per
 * direction and batch entry (honouring sequence_lens), and laying out Y / Y_h / Y_c.
 */
import { type DType, isFloatDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, toNumbers, type TensorData } from '../../../../runtime/tensor.js';
import type { Dim, Node, TypeInfo } from '../../../ir/graph.js';
import { attrFloatOpt, attrInt, attrIntOpt, attrString } from '../../../ir/attrs.js';
import type { InferContext } from '../../op.js';
import { opError, requireInput } from '../common.js';

export interface RecurrentProblem {
  node: Node;
  dtype: DType;
  seqLength: number;
  batch: number;
  inputSize: number;
  hidden: number;
  numDirections: number;
  /** Direction index → whether it walks the sequence backwards. */
  reverse: boolean[];
  layout: number;
  /** Gate pre-activations are clipped to [-clip, clip]; Infinity when the attribute is absent. */
  clip: number;
  /** X as [seq, batch, input] whatever the layout. */
  x: Float64Array;
  /** W as [dirs, gates*hidden, input], R as [dirs, gates*hidden, hidden]. */
  w: Float64Array;
  r: Float64Array;
  /** B as [dirs, 2*gates*hidden] (Wb then Rb); zeros when omitted. */
  b: Float64Array;
  seqLens: number[];
  /** initial_h (and initial_c) as [dirs, batch, hidden]; zeros when omitted. */
  initialH: Float64Array;
  initialC: Float64Array;
}

function floats(t: Tensor): Float64Array {
  return Float64Array.from(t.data as Float32Array | Float64Array);
}

function expectShape(node: Node, t: Tensor, what: string, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw opError(node, `${what} has shape [${t.shape.join(',')}]`, `[${shape.join(',')}]`);
  }
}

/** Swap the first two axes of a rank-3 array (layout 1 ↔ layout 0). */
function swap01(src: Float64Array, d0: number, d1: number, d2: number): Float64Array {
  const out = new Float64Array(src.length);
  for (let i = 0; i < d0; i++)
    for (let j = 0; j < d1; j++)
      for (let k = 0; k < d2; k++) out[(j * d0 + i) * d2 + k] = src[(i * d1 + j) * d2 + k]!;
  return out;
}

export function numDirectionsOf(node: Node): number {
  const dir = attrString(node, 'direction', 'forward');
  if (dir !== 'forward' && dir !== 'reverse' && dir !== 'bidirectional') {
    throw opError(node, `direction '${dir}'`, 'forward, reverse or bidirectional');
  }
  return dir === 'bidirectional' ? 2 : 1;
}

/** Read X, W, R, B, sequence_lens, initial_h and (for LSTM) initial_c at input 6. */
export function readProblem(
  node: Node,
  inputs: (Tensor | undefined)[],
  gates: number,
  withCell: boolean,
): RecurrentProblem {
  const X = requireInput(node, inputs, 0, 'X');
  const W = requireInput(node, inputs, 1, 'W');
  const R = requireInput(node, inputs, 2, 'R');
  if (!isFloatDType(X.dtype) || W.dtype !== X.dtype || R.dtype !== X.dtype) {
    throw opError(node, `X, W, R have dtypes ${X.dtype}, ${W.dtype}, ${R.dtype}`, 'one float dtype');
  }
  const layout = attrInt(node, 'layout', 0);
  if (layout !== 0 && layout !== 1) throw opError(node, `layout ${layout}`, '0 or 1');
  const direction = attrString(node, 'direction', 'forward');
  const numDirections = numDirectionsOf(node);
  const reverse = numDirections === 2 ? [false, true] : [direction === 'reverse'];
  if (X.rank !== 3) throw opError(node, `X has rank ${X.rank}`, 'rank 3');
  const [seqLength, batch] = layout === 0 ? [X.shape[0]!, X.shape[1]!] : [X.shape[1]!, X.shape[0]!];
  const inputSize = X.shape[2]!;
  if (R.rank !== 3) throw opError(node, `R has rank ${R.rank}`, 'rank 3');
  const hidden = attrIntOpt(node, 'hidden_size') ?? R.shape[2]!;
  expectShape(node, W, 'W', [numDirections, gates * hidden, inputSize]);
  expectShape(node, R, 'R', [numDirections, gates * hidden, hidden]);
  const clipAttr = attrFloatOpt(node, 'clip');
  const clip = clipAttr === undefined ? Infinity : clipAttr;
  if (clip <= 0) throw opError(node, `clip ${clip}`, 'a positive threshold');

  let b: Float64Array = new Float64Array(numDirections * 2 * gates * hidden);
  const B = inputs[3];
  if (B) {
    expectShape(node, B, 'B', [numDirections, 2 * gates * hidden]);
    b = floats(B);
  }
  let seqLens = new Array<number>(batch).fill(seqLength);
  const SL = inputs[4];
  if (SL) {
    expectShape(node, SL, 'sequence_lens', [batch]);
    seqLens = toNumbers(SL);
    for (const l of seqLens) {
      if (!Number.isInteger(l) || l < 0 || l > seqLength) {
        throw opError(node, `sequence_lens holds ${l}`, `lengths in 0..${seqLength}`);
      }
    }
  }
  const state = (t: Tensor | undefined, what: string): Float64Array => {
    if (!t) return new Float64Array(numDirections * batch * hidden);
    const shape = layout === 0 ? [numDirections, batch, hidden] : [batch, numDirections, hidden];
    expectShape(node, t, what, shape);
    return layout === 0 ? floats(t) : swap01(floats(t), batch, numDirections, hidden);
  };
  const x = layout === 0 ? floats(X) : swap01(floats(X), batch, seqLength, inputSize);
  return {
    node,
    dtype: X.dtype,
    seqLength,
    batch,
    inputSize,
    hidden,
    numDirections,
    reverse,
    layout,
    clip,
    x,
    w: floats(W),
    r: floats(R),
    b,
    seqLens,
    initialH: state(inputs[5], 'initial_h'),
    initialC: withCell ? state(inputs[6], 'initial_c') : new Float64Array(0),
  };
}

/**
 * out[j] = sum_k m[off + j*cols + k] * v[vOff + k] for j < rows: a row block of a weight matrix times
 * a vector, i.e. v·Mᵀ as the ONNX equations write it.
 */
export function matVec(
  m: Float64Array,
  off: number,
  rows: number,
  cols: number,
  v: Float64Array,
  vOff: number,
  out: Float64Array,
): void {
  for (let j = 0; j < rows; j++) {
    let s = 0;
    const base = off + j * cols;
    for (let k = 0; k < cols; k++) s += m[base + k]! * v[vOff + k]!;
    out[j] = s;
  }
}

export function clipTo(x: number, clip: number): number {
  return x > clip ? clip : x < -clip ? -clip : x;
}

/**
 * One time step of one direction for one batch entry: reads x (input row at xOff), the previous
 * state h (and c), and writes the new state into h (and c) in place.
 */
export type StepFn = (dir: number, x: Float64Array, xOff: number, h: Float64Array, c: Float64Array) => void;

/**
 * Walk every direction and batch entry through its sequence (reverse directions start at the last
 * valid step of each entry). Y is zero past an entry's length; Y_h/Y_c are the state after its last
 * step, and zero for a zero-length entry, as onnxruntime does.
 */
export function runSequence(
  p: RecurrentProblem,
  step: StepFn,
): { y: Float64Array; yh: Float64Array; yc: Float64Array } {
  const { seqLength: S, batch: B, hidden: H, numDirections: D, inputSize: I } = p;
  const y = new Float64Array(S * D * B * H);
  const yh = new Float64Array(D * B * H);
  const yc = new Float64Array(D * B * H);
  const h = new Float64Array(H);
  const c = new Float64Array(H);
  for (let d = 0; d < D; d++) {
    for (let b = 0; b < B; b++) {
      const len = p.seqLens[b]!;
      const stateOff = (d * B + b) * H;
      h.set(p.initialH.subarray(stateOff, stateOff + H));
      if (p.initialC.length) c.set(p.initialC.subarray(stateOff, stateOff + H));
      for (let k = 0; k < len; k++) {
        const t = p.reverse[d] ? len - 1 - k : k;
        step(d, p.x, (t * B + b) * I, h, c);
        y.set(h, ((t * D + d) * B + b) * H);
      }
      if (len > 0) {
        yh.set(h, stateOff);
        yc.set(c, stateOff);
      }
    }
  }
  return { y, yh, yc };
}

function toTensor(dtype: DType, shape: number[], values: Float64Array): Tensor {
  const data = allocData(dtype, values.length) as Float32Array | Float64Array;
  data.set(values);
  return new Tensor(dtype, shape, data as TensorData);
}

/** Y as [seq, dirs, batch, hidden] (layout 0) or [batch, seq, dirs, hidden]; states as [dirs, batch, hidden] or [batch, dirs, hidden]. */
export function packOutputs(p: RecurrentProblem, y: Float64Array, states: Float64Array[]): Tensor[] {
  const { seqLength: S, batch: B, hidden: H, numDirections: D, dtype } = p;
  if (p.layout === 0) {
    return [toTensor(dtype, [S, D, B, H], y), ...states.map((s) => toTensor(dtype, [D, B, H], s))];
  }
  // [S, D, B, H] → [B, S, D, H]
  const yt = new Float64Array(y.length);
  for (let s = 0; s < S; s++)
    for (let d = 0; d < D; d++)
      for (let b = 0; b < B; b++)
        for (let k = 0; k < H; k++) yt[((b * S + s) * D + d) * H + k] = y[((s * D + d) * B + b) * H + k]!;
  return [
    toTensor(dtype, [B, S, D, H], yt),
    ...states.map((s) => toTensor(dtype, [B, D, H], swap01(s, D, B, H))),
  ];
}

/** Output types: Y, then `numStates` state outputs (Y_h, Y_c). */
export function inferRecurrent(
  ctx: InferContext,
  gates: number,
  numStates: number,
): (TypeInfo | undefined)[] {
  const { node } = ctx;
  const [X, W, R] = ctx.inputs;
  const none = Array.from({ length: 1 + numStates }, () => undefined);
  if (!X) return none;
  const D = numDirectionsOf(node);
  const layout = attrInt(node, 'layout', 0);
  let H: Dim | undefined = attrIntOpt(node, 'hidden_size');
  if (H === undefined && R?.shape) H = R.shape[2];
  if (H === undefined && W?.shape) {
    const g = W.shape[1];
    H = typeof g === 'number' ? g / gates : undefined;
  }
  if (!X.shape) return none.map(() => ({ dtype: X.dtype }));
  if (X.shape.length !== 3) throw opError(node, `X has rank ${X.shape.length}`, 'rank 3');
  const hid: Dim = H ?? ctx.freshDim();
  const [S, B] = layout === 0 ? [X.shape[0]!, X.shape[1]!] : [X.shape[1]!, X.shape[0]!];
  const y: Dim[] = layout === 0 ? [S, D, B, hid] : [B, S, D, hid];
  const st: Dim[] = layout === 0 ? [D, B, hid] : [B, D, hid];
  return [
    { dtype: X.dtype, shape: y },
    ...Array.from({ length: numStates }, () => ({ dtype: X.dtype, shape: [...st] })),
  ];
}
