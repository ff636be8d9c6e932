/**
 * Scan. Opset 9-22: body(state..., scan slices...) → (state..., scan elements...), slicing each scan
 * input along scan_input_axes in scan_input_directions and stacking outputs along scan_output_axes in
 * scan_output_directions. Opset 8: an optional sequence_lens first input and a leading batch axis on
 * every state and scan value, each batch entry scanned on its own.
 */
import { Tensor, toNumbers } from '../../../../runtime/tensor.js';
import { attrGraph, attrInt, attrInts } from '../../../ir/attrs.js';
import type { Dim, Graph, Node, TypeInfo } from '../../../ir/graph.js';
import type { OpDef, RunContext } from '../../op.js';
import type { Value } from '../../value.js';
import { normalizeAxis, opError } from '../common.js';
import { emptyTensor, joinTensors, sliceAt } from './stacking.js';
import { stackedType } from './subgraph-types.js';
import { asDeclared } from './values.js';

function tensorArg(node: Node, v: Value | undefined, what: string): Tensor {
  if (!(v instanceof Tensor))
    throw opError(node, `${what} is ${v === undefined ? 'missing' : 'not a tensor'}`, 'a tensor');
  return v;
}

interface ScanPlan {
  body: Graph;
  nState: number;
  nScanIn: number;
  nScanOut: number;
}

function plan(node: Node, nInputs: number): ScanPlan {
  const body = attrGraph(node, 'body');
  const nScanIn = attrInt(node, 'num_scan_inputs');
  const nState = nInputs - nScanIn;
  if (nScanIn < 1 || nState < 0)
    throw opError(
      node,
      `num_scan_inputs ${nScanIn} with ${nInputs} state and scan inputs`,
      'between 1 and the input count',
    );
  if (body.inputs.length !== nInputs)
    throw opError(node, `body has ${body.inputs.length} inputs`, `${nInputs}`);
  const nScanOut = body.outputs.length - nState;
  if (nScanOut < 0) throw opError(node, `body has ${body.outputs.length} outputs`, `at least ${nState}`);
  return { body, nState, nScanIn, nScanOut };
}

/**
 * One scan over unbatched values: returns the final states and the per-iteration scan elements (in
 * iteration order). `slice(j, t)` gives scan input j at iteration t.
 */
function scanOnce(
  ctx: RunContext,
  p: ScanPlan,
  states: Value[],
  steps: number,
  slice: (j: number, t: number) => Tensor,
): { states: Value[]; elems: Tensor[][] } {
  const elems: Tensor[][] = Array.from({ length: p.nScanOut }, () => []);
  let cur = states;
  for (let t = 0; t < steps; t++) {
    const feeds = new Map<string, Value>();
    cur.forEach((v, k) => feeds.set(p.body.inputs[k]!.name, asDeclared(v, p.body.inputs[k]!)));
    for (let j = 0; j < p.nScanIn; j++) feeds.set(p.body.inputs[p.nState + j]!.name, slice(j, t));
    const outs = ctx.runSubgraph(p.body, feeds);
    cur = outs.slice(0, p.nState);
    for (let k = 0; k < p.nScanOut; k++)
      elems[k]!.push(tensorArg(ctx.node, outs[p.nState + k], `body scan output ${k}`));
  }
  return { states: cur, elems };
}

/** An empty stack when the scan ran no iteration, shaped from the body's declared output type. */
function emptyScanOutput(
  node: Node,
  t: TypeInfo | undefined,
  k: number,
  lead: number[],
  axis: number,
): Tensor {
  if (!t)
    throw opError(
      node,
      `scan output ${k} is empty and the body does not declare its type`,
      'a typed body output',
    );
  const inner = t.shape && t.shape.every((d) => typeof d === 'number') ? [...(t.shape as number[])] : [];
  inner.splice(Math.min(axis, inner.length), 0, 0);
  return emptyTensor(t.dtype, [...lead, ...inner]);
}

function runScan9(inputs: (Value | undefined)[], ctx: RunContext): Value[] {
  const { node } = ctx;
  const p = plan(node, inputs.length);
  const scanIns = inputs.slice(p.nState).map((v, j) => tensorArg(node, v, `scan input ${j}`));
  const inAxes = attrInts(node, 'scan_input_axes', new Array<number>(p.nScanIn).fill(0));
  const inDirs = attrInts(node, 'scan_input_directions', new Array<number>(p.nScanIn).fill(0));
  const outAxes = attrInts(node, 'scan_output_axes', new Array<number>(p.nScanOut).fill(0));
  const outDirs = attrInts(node, 'scan_output_directions', new Array<number>(p.nScanOut).fill(0));
  if (inAxes.length !== p.nScanIn || inDirs.length !== p.nScanIn)
    throw opError(node, 'scan_input_axes/directions length', `${p.nScanIn}`);
  if (outAxes.length !== p.nScanOut || outDirs.length !== p.nScanOut)
    throw opError(node, 'scan_output_axes/directions length', `${p.nScanOut}`);
  const axes = scanIns.map((t, j) => normalizeAxis(node, inAxes[j]!, t.rank));
  const steps = scanIns[0]!.shape[axes[0]!]!;
  scanIns.forEach((t, j) => {
    if (t.shape[axes[j]!] !== steps)
      throw opError(node, `scan input ${j} has ${t.shape[axes[j]!]} steps`, `${steps} like scan input 0`);
  });
  const states = inputs.slice(0, p.nState).map((v, k) => {
    if (v === undefined) throw opError(node, `state input ${k} is missing`);
    return v;
  });
  const r = scanOnce(ctx, p, states, steps, (j, t) =>
    sliceAt(scanIns[j]!, axes[j]!, inDirs[j] ? steps - 1 - t : t),
  );
  const outs = r.elems.map((items, k) => {
    const declared = p.body.outputs[p.nState + k]!.type;
    if (!items.length) {
      const rank = (declared?.shape?.length ?? 0) + 1;
      return emptyScanOutput(node, declared, k, [], normalizeAxis(node, outAxes[k]!, rank));
    }
    const axis = normalizeAxis(node, outAxes[k]!, items[0]!.rank + 1);
    return joinTensors(
      node,
      outDirs[k] ? [...items].reverse() : items,
      axis,
      true,
      `iteration value of scan output ${k}`,
    );
  });
  return [...r.states, ...outs];
}

/** Opset 8: batch axis 0 on everything, scan axis 1 on scan inputs/outputs, optional sequence_lens. */
function runScan8(inputs: (Value | undefined)[], ctx: RunContext): Value[] {
  const { node } = ctx;
  const rest = inputs.slice(1);
  const p = plan(node, rest.length);
  const tensors = rest.map((v, i) => tensorArg(node, v, `input ${i + 1}`));
  const dirs = attrInts(node, 'directions', new Array<number>(p.nScanIn).fill(0));
  if (dirs.length !== p.nScanIn) throw opError(node, `directions has ${dirs.length} entries`, `${p.nScanIn}`);
  const batch = tensors[0]!.shape[0];
  if (batch === undefined) throw opError(node, 'inputs need a leading batch axis', 'rank >= 1');
  const scanIns = tensors.slice(p.nState);
  const maxLen = scanIns[0]!.shape[1];
  if (maxLen === undefined) throw opError(node, 'scan inputs need a sequence axis 1', 'rank >= 2');
  for (const [j, t] of tensors.entries()) {
    if (t.shape[0] !== batch) throw opError(node, `input ${j + 1} has batch ${t.shape[0]}`, `${batch}`);
    if (j >= p.nState && t.shape[1] !== maxLen)
      throw opError(node, `scan input ${j - p.nState} has ${t.shape[1]} steps`, `${maxLen}`);
  }
  const lens = inputs[0]
    ? toNumbers(tensorArg(node, inputs[0], 'sequence_lens'))
    : new Array<number>(batch).fill(maxLen);
  if (lens.length !== batch || lens.some((l) => !Number.isInteger(l) || l < 0 || l > maxLen)) {
    throw opError(node, `sequence_lens [${lens.join(',')}]`, `${batch} lengths in 0..${maxLen}`);
  }
  const finals: Tensor[][] = Array.from({ length: p.nState }, () => []);
  const perEntry: Tensor[][][] = [];
  for (let b = 0; b < batch; b++) {
    const len = lens[b]!;
    const states = tensors.slice(0, p.nState).map((t) => sliceAt(t, 0, b));
    const entry = scanIns.map((t) => sliceAt(t, 0, b));
    const r = scanOnce(ctx, p, states, len, (j, t) => sliceAt(entry[j]!, 0, dirs[j] ? len - 1 - t : t));
    r.states.forEach((s, k) => finals[k]!.push(tensorArg(node, s, `body state output ${k}`)));
    perEntry.push(r.elems);
  }
  const scans = Array.from({ length: p.nScanOut }, (_, k) => {
    // Steps past an entry's length are zero so the batch stacks to [batch, maxLen, ...].
    const sample = perEntry.find((e) => e[k]!.length)?.[k]![0];
    const declared = p.body.outputs[p.nState + k]!.type;
    const dtype = sample?.dtype ?? declared?.dtype;
    if (!dtype)
      throw opError(
        node,
        `scan output ${k} is empty and the body does not declare its type`,
        'a typed body output',
      );
    const static_ = declared?.shape?.every((d) => typeof d === 'number') ? (declared.shape as number[]) : [];
    const elemShape = sample ? [...sample.shape] : static_;
    const rows = perEntry.map((e) => {
      const items = [...e[k]!];
      while (items.length < maxLen) items.push(emptyTensor(dtype, elemShape));
      return items.length
        ? joinTensors(node, items, 0, true, `iteration value of scan output ${k}`)
        : emptyTensor(dtype, [0, ...elemShape]);
    });
    return rows.length
      ? joinTensors(node, rows, 0, true, `scan output ${k}`)
      : emptyTensor(dtype, [0, maxLen, ...elemShape]);
  });
  const finalStates = finals.map((items, k) => {
    if (items.length) return joinTensors(node, items, 0, true, `final state ${k}`);
    const init = tensors[k]!;
    return init;
  });
  return [...finalStates, ...scans];
}

export const scanOp: OpDef = {
  op: 'Scan',
  versions: [8, 22],
  runValues: (inputs, ctx) => (ctx.opset < 9 ? runScan8(inputs, ctx) : runScan9(inputs, ctx)),
  infer: (ctx) => {
    const { node } = ctx;
    const v8 = ctx.opset < 9;
    const ins = v8 ? ctx.inputs.slice(1) : ctx.inputs;
    const p = plan(node, ins.length);
    const inAxes = v8 ? [] : attrInts(node, 'scan_input_axes', []);
    const outAxes = v8 ? [] : attrInts(node, 'scan_output_axes', []);
    // Body inputs: states as given, scan inputs with their scan axis (and opset 8 batch axis) removed.
    const bodyIn = ins.map((t, i) => {
      if (!v8 && i < p.nState) return t;
      if (!t?.shape) return t ? { dtype: t.dtype } : undefined;
      const shape = [...t.shape];
      if (v8) shape.splice(0, i < p.nState ? 1 : 2);
      else shape.splice(normalizeAxis(node, inAxes[i - p.nState] ?? 0, shape.length), 1);
      return { dtype: t.dtype, shape };
    });
    const outs = ctx.inferSubgraph(p.body, bodyIn);
    const first = ins[p.nState];
    let steps: Dim;
    let batch: Dim | undefined;
    if (v8) {
      batch = ins[0]?.shape?.[0] ?? ctx.freshDim();
      steps = first?.shape?.[1] ?? ctx.freshDim();
    } else {
      const ax = first?.shape ? normalizeAxis(node, inAxes[0] ?? 0, first.shape.length) : 0;
      steps = first?.shape?.[ax] ?? ctx.freshDim();
    }
    const states = outs.slice(0, p.nState).map((t) => (v8 ? stackedType(t, batch!) : t));
    const scans = outs.slice(p.nState).map((t, k) => {
      if (v8) return stackedType(stackedType(t, steps), batch!);
      return stackedType(t, steps, outAxes[k] ?? 0);
    });
    return [...states, ...scans];
  },
};
