/**
 * RNN, GRU and LSTM unrolled over their static sequence length into Gemm, Add, Mul, Sigmoid, Tanh,
 * Slice, Concat, ... nodes, so that shape-specialised targets run them with the ops they already
 * lower. X·Wᵀ (+ input bias) is one Gemm for all steps of a direction; each step adds H·Rᵀ and applies
 * the cell (recurrent-cells.ts). A constant sequence_lens becomes constant 0/1 masks: past an entry's
 * length its state is held and its Y rows are zero, reverse directions start at its last valid step,
 * and a zero-length entry's final state is zero (as the reference executor and onnxruntime do).
 * Nodes that cannot be made static are left, with the reason (not-unrolled.ts).
 */
import type { DType } from '../../runtime/dtype.js';
import { type Tensor, tensorFrom, toNumbers, zeros } from '../../runtime/tensor.js';
import { attrFloatOpt, attrInt, attrIntOpt, attrString } from '../ir/attrs.js';
import type { Model, Node, TypeInfo } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import { activationSpecs } from '../reference/ops/control/rnn-activations.js';
import { type CellState, RECURRENT_OPS, type RecurrentOp, makeCell } from './recurrent-cells.js';
import { NameGen, constantOf, replaceNode } from './graph-utils.js';
import { NodeEmitter, intAttr } from './node-emitter.js';
import { markNotUnrolled } from './not-unrolled.js';
import type { PassResult } from './pass.js';

/** Unrolling longer sequences would trade one node for thousands. */
export const MAX_UNROLLED_STEPS = 512;

const FLOAT_DTYPES = new Set<DType>(['float32', 'float64', 'float16', 'bfloat16']);

export function unrollRecurrent(model: Model): PassResult {
  const g = model.graph;
  const targets = g.nodes.filter((n) => n.domain === '' && n.op in RECURRENT_OPS);
  if (!targets.length) return { changed: 0 };
  const { types } = inferShapes(model);
  const names = new NameGen(g);
  let changed = 0;
  for (const node of targets) {
    const plan = planOf(model, node, types);
    if (typeof plan === 'string') {
      markNotUnrolled(node, plan);
      continue;
    }
    const em = new NodeEmitter(g, model, node.name || node.op, names);
    emitUnrolled(em, node, plan);
    replaceNode(g, node, ...em.nodes);
    changed++;
  }
  return { changed };
}

interface Plan {
  op: RecurrentOp;
  dtype: DType;
  T: number;
  B: number;
  I: number;
  H: number;
  D: number;
  layout: number;
  /** Per batch entry; undefined when every entry runs the whole sequence. */
  seqLens?: number[];
}

/** What unrolling needs, or why the node cannot be unrolled. */
function planOf(model: Model, node: Node, types: Map<string, TypeInfo>): Plan | string {
  const op = node.op as RecurrentOp;
  const opset = model.opsetImports.get('') ?? 1;
  if (opset < 7) return `${op} before opset 7 is not unrolled (its Gemm/Add broadcast differently)`;
  const x = types.get(node.inputs[0] ?? '');
  if (!x?.shape || x.shape.length !== 3 || !x.shape.every((d) => typeof d === 'number'))
    return `${op} needs X with a static shape to be unrolled`;
  if (!FLOAT_DTYPES.has(x.dtype)) return `${op} X is ${x.dtype}`;
  const layout = attrInt(node, 'layout', 0);
  const [s0, s1, I] = x.shape as number[];
  const [T, B] = layout === 0 ? [s0!, s1!] : [s1!, s0!];
  const D = attrString(node, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
  const rShape = types.get(node.inputs[2] ?? '')?.shape;
  const H = attrIntOpt(node, 'hidden_size') ?? rShape?.[2];
  if (typeof H !== 'number') return `${op} needs hidden_size or R with a static shape to be unrolled`;
  if (T < 1) return `${op} over an empty sequence is not unrolled`;
  if (T > MAX_UNROLLED_STEPS)
    return `${op} sequence length ${T} is over the ${MAX_UNROLLED_STEPS} steps unrolled`;
  let seqLens: number[] | undefined;
  const sl = node.inputs[4];
  if (sl) {
    const t: Tensor | undefined = constantOf(model.graph, sl);
    if (!t) return `${op} sequence_lens is computed at run time (bind it, e.g. kiln compile --bind)`;
    const lens = toNumbers(t);
    if (lens.length !== B || lens.some((l) => !Number.isInteger(l) || l < 0 || l > T))
      return `${op} sequence_lens [${lens.join(',')}] does not fit batch ${B} and length ${T}`;
    if (lens.some((l) => l !== T)) seqLens = lens;
  }
  return { op, dtype: x.dtype, T, B, I: I!, H, D, layout, seqLens };
}

function emitUnrolled(em: NodeEmitter, node: Node, p: Plan): void {
  const { op, dtype, T, B, H, D, layout } = p;
  const spec = RECURRENT_OPS[op];
  const acts = activationSpecs(node, spec.activations, D);
  const direction = attrString(node, 'direction', 'forward');
  const [X, W, R, Bias, , initialH, initialC, P] = node.inputs;
  const toTimeMajor = (v: string) => (layout === 0 ? v : em.transpose(v, [1, 0, 2]));
  // [T·B, I], time-major, so that step t's rows are t·B .. (t+1)·B
  const xFlat = em.reshape(toTimeMajor(X!), [T * B, p.I]);
  const hInit = initialH ? toTimeMajor(initialH) : undefined;
  const cInit = op === 'LSTM' && initialC ? toTimeMajor(initialC) : undefined;
  const zerosBH = () => em.constant(zeros(dtype, [B, H]), 'zeros');
  const masks = p.seqLens && stepMasks(em, p.seqLens, T, B, dtype);

  const ys: string[][] = Array.from({ length: T }, () => []); // [t][d] → [B, H]
  const finals: CellState[] = [];
  for (let d = 0; d < D; d++) {
    const reverse = D === 2 ? d === 1 : direction === 'reverse';
    const bd = Bias ? em.take(Bias, 0, d) : undefined;
    const cell = makeCell(
      em,
      {
        op,
        dtype,
        hidden: H,
        clip: attrFloatOpt(node, 'clip'),
        acts: acts[d]!,
        linearBeforeReset: op === 'GRU' && attrInt(node, 'linear_before_reset', 0) !== 0,
        inputForget: op === 'LSTM' && attrInt(node, 'input_forget', 0) !== 0,
      },
      {
        r: em.take(R!, 0, d),
        wb: bd && em.slice(bd, 0, 0, spec.gates * H),
        rb: bd && em.slice(bd, 0, spec.gates * H, 2 * spec.gates * H),
        p: op === 'LSTM' && P ? em.take(P, 0, d) : undefined,
      },
    );
    const w = em.take(W!, 0, d);
    const xw = em.op('Gemm', cell.inputBias ? [xFlat, w, cell.inputBias] : [xFlat, w], {
      transB: intAttr(1),
    });
    let state: CellState = {
      h: hInit ? em.take(hInit, 0, d) : zerosBH(),
      ...(op === 'LSTM' ? { c: cInit ? em.take(cInit, 0, d) : zerosBH() } : {}),
    };
    for (let k = 0; k < T; k++) {
      const t = reverse ? T - 1 - k : k;
      const next = cell.step(em.slice(xw, 0, t * B, (t + 1) * B), state);
      const m = masks?.steps[t];
      if (!m) {
        state = next;
        ys[t]![d] = next.h;
        continue;
      }
      // m·new + (1 - m)·old: exact where the mask is 0 or 1
      const hold = (a: string, b: string) =>
        em.op('Add', [em.op('Mul', [m.keep, a]), em.op('Mul', [m.hold, b])]);
      ys[t]![d] = em.op('Mul', [m.keep, next.h]);
      state = { h: hold(next.h, state.h), ...(next.c ? { c: hold(next.c, state.c!) } : {}) };
    }
    if (masks?.nonEmpty)
      state = {
        h: em.op('Mul', [masks.nonEmpty, state.h]),
        ...(state.c ? { c: em.op('Mul', [masks.nonEmpty, state.c]) } : {}),
      };
    finals.push(state);
  }
  emitOutputs(em, node, p, ys, finals);
}

/**
 * Per time step, [B, 1] masks of the entries still running (`keep`) and the others (`hold`);
 * undefined for steps every entry runs. `nonEmpty`: [B, 1] mask of entries with a length, when some
 * have none.
 */
function stepMasks(
  em: NodeEmitter,
  lens: number[],
  T: number,
  B: number,
  dtype: DType,
): { steps: ({ keep: string; hold: string } | undefined)[]; nonEmpty?: string } {
  const mask = (on: (b: number) => boolean, base: string) =>
    em.constant(
      tensorFrom(
        dtype,
        [B, 1],
        lens.map((_, b) => (on(b) ? 1 : 0)),
      ),
      base,
    );
  const steps = Array.from({ length: T }, (_, t) =>
    lens.every((l) => t < l)
      ? undefined
      : { keep: mask((b) => t < lens[b]!, 'keep'), hold: mask((b) => t >= lens[b]!, 'hold') },
  );
  return {
    steps,
    ...(lens.some((l) => l === 0) ? { nonEmpty: mask((b) => lens[b]! > 0, 'nonempty') } : {}),
  };
}

/** Y ([T, D, B, H] or, layout 1, [B, T, D, H]), Y_h and Y_c ([D, B, H] or [B, D, H]) under the node's names. */
function emitOutputs(em: NodeEmitter, node: Node, p: Plan, ys: string[][], finals: CellState[]): void {
  const [yName, yhName, ycName] = node.outputs;
  const stackDirs = (xs: string[], out?: string) =>
    p.layout === 0 ? em.stack(xs, 0, out) : em.transpose(em.stack(xs, 0), [1, 0, 2], out);
  if (yName) {
    // [1, 1, B, H] per step and direction → [1, D, B, H] per step → [T, D, B, H]
    const perStep = ys.map((dirs) =>
      em.concat(
        dirs.map((y) => em.unsqueeze(y, [0, 1])),
        1,
      ),
    );
    if (p.layout === 0) em.concat(perStep, 0, yName);
    else em.transpose(em.concat(perStep, 0), [2, 0, 1, 3], yName);
  }
  if (yhName)
    stackDirs(
      finals.map((s) => s.h),
      yhName,
    );
  if (ycName && node.op === 'LSTM')
    stackDirs(
      finals.map((s) => s.c!),
      ycName,
    );
}
