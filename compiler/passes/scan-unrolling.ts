/**
 * A Scan over inputs of static shape is unrolled: the body's nodes once per step (per batch entry too
 * at opset 8), each scan input's slice taken with Slice+Squeeze along its axis and direction, states
 * threaded through, the scan outputs' elements stacked along their axes and directions. Scans whose
 * lengths are not static (or an opset-8 sequence_lens that is not the full length everywhere) are
 * left, with the reason (not-unrolled.ts).
 */
import { toNumbers } from '../../runtime/tensor.js';
import { attrGraph, attrInt, attrInts } from '../ir/attrs.js';
import type { Graph, Model, Node, TypeInfo } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import { NameGen, constantOf, replaceNode } from './graph-utils.js';
import { NodeEmitter } from './node-emitter.js';
import { markNotUnrolled } from './not-unrolled.js';
import type { PassResult } from './pass.js';
import { inlineSubgraph } from './subgraph-inlining.js';

/** Longer scans stay Scans: unrolling trades one node for body × steps nodes. */
export const MAX_UNROLLED_SCAN_STEPS = 256;

export function unrollScans(model: Model): PassResult {
  const g = model.graph;
  const scans = g.nodes.filter((n) => n.domain === '' && n.op === 'Scan');
  if (!scans.length) return { changed: 0 };
  const opset = model.opsetImports.get('') ?? 1;
  const { types } = inferShapes(model);
  const names = new NameGen(g);
  let changed = 0;
  for (const node of scans) {
    const em = new NodeEmitter(g, model, node.name || 'Scan', names);
    const why = opset < 9 ? unrollScan8(em, g, node, types) : unrollScan9(em, node, types);
    if (why) {
      markNotUnrolled(node, why);
      continue;
    }
    replaceNode(g, node, ...em.nodes);
    changed++;
  }
  return { changed };
}

interface Body {
  graph: Graph;
  nState: number;
  nScanIn: number;
  nScanOut: number;
}

function bodyOf(node: Node, nInputs: number): Body | undefined {
  const graph = attrGraph(node, 'body');
  const nScanIn = attrInt(node, 'num_scan_inputs');
  const nState = nInputs - nScanIn;
  const nScanOut = graph.outputs.length - nState;
  if (nScanIn < 1 || nState < 0 || nScanOut < 0 || graph.inputs.length !== nInputs) return undefined;
  return { graph, nState, nScanIn, nScanOut };
}

/**
 * Run the body `steps` times: `slice(j, t)` is scan input j's element at step t. Returns the final
 * states and each scan output's elements in step order.
 */
function unrollBody(
  em: NodeEmitter,
  b: Body,
  states: string[],
  steps: number,
  slice: (j: number, t: number) => string,
): { states: string[]; elems: string[][] } {
  const elems: string[][] = Array.from({ length: b.nScanOut }, () => []);
  let cur = states;
  for (let t = 0; t < steps; t++) {
    const feeds = new Map<string, string>();
    cur.forEach((v, k) => feeds.set(b.graph.inputs[k]!.name, v));
    for (let j = 0; j < b.nScanIn; j++) feeds.set(b.graph.inputs[b.nState + j]!.name, slice(j, t));
    const outs = inlineSubgraph(em, b.graph, feeds);
    cur = outs.slice(0, b.nState);
    outs.slice(b.nState).forEach((e, k) => elems[k]!.push(e));
  }
  return { states: cur, elems };
}

/** Static shape of a value, or undefined. */
function staticShape(types: Map<string, TypeInfo>, name: string | undefined): number[] | undefined {
  const s = name ? types.get(name)?.shape : undefined;
  return s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
}

function unrollScan9(em: NodeEmitter, node: Node, types: Map<string, TypeInfo>): string | undefined {
  const b = bodyOf(node, node.inputs.length);
  if (!b) return 'malformed Scan (body and num_scan_inputs disagree)';
  const scanIns = node.inputs.slice(b.nState);
  const shapes = scanIns.map((v) => staticShape(types, v));
  if (shapes.some((s) => !s)) return 'its scan inputs need static shapes to be unrolled';
  const inAxes = attrInts(node, 'scan_input_axes', new Array<number>(b.nScanIn).fill(0));
  const inDirs = attrInts(node, 'scan_input_directions', new Array<number>(b.nScanIn).fill(0));
  const outAxes = attrInts(node, 'scan_output_axes', new Array<number>(b.nScanOut).fill(0));
  const outDirs = attrInts(node, 'scan_output_directions', new Array<number>(b.nScanOut).fill(0));
  const axes = shapes.map((s, j) => (inAxes[j]! < 0 ? inAxes[j]! + s!.length : inAxes[j]!));
  const steps = shapes[0]![axes[0]!]!;
  if (shapes.some((s, j) => s![axes[j]!] !== steps)) return 'its scan inputs differ in length';
  if (steps === 0) return 'zero steps would give empty scan outputs';
  if (steps > MAX_UNROLLED_SCAN_STEPS)
    return `${steps} steps are over the ${MAX_UNROLLED_SCAN_STEPS} unrolled`;
  const outAxis = (k: number): number | undefined => {
    const a = outAxes[k]!;
    if (a >= 0) return a;
    const rank = b.graph.outputs[b.nState + k]!.type?.shape?.length;
    return rank === undefined ? undefined : a + rank + 1;
  };
  if (outAxes.some((_, k) => outAxis(k) === undefined))
    return 'a negative scan_output_axes entry needs the body output rank';
  const r = unrollBody(em, b, node.inputs.slice(0, b.nState), steps, (j, t) =>
    em.take(scanIns[j]!, axes[j]!, inDirs[j] ? steps - 1 - t : t),
  );
  node.outputs.forEach((o, k) => {
    if (!o) return;
    if (k < b.nState) em.op('Identity', [r.states[k]!], {}, o);
    else {
      const s = k - b.nState;
      const items = outDirs[s] ? [...r.elems[s]!].reverse() : r.elems[s]!;
      em.stack(items, outAxis(s)!, o);
    }
  });
  return undefined;
}

/** Opset 8: batch axis 0 on every input and output, scan axis 1, each batch entry scanned alone. */
function unrollScan8(
  em: NodeEmitter,
  g: Graph,
  node: Node,
  types: Map<string, TypeInfo>,
): string | undefined {
  const ins = node.inputs.slice(1);
  const b = bodyOf(node, ins.length);
  if (!b) return 'malformed Scan (body and num_scan_inputs disagree)';
  const shapes = ins.map((v) => staticShape(types, v));
  if (shapes.some((s) => !s)) return 'its inputs need static shapes to be unrolled';
  const batch = shapes[0]![0]!;
  const steps = shapes[b.nState]![1]!;
  const lensName = node.inputs[0];
  if (lensName) {
    const lens = constantOf(g, lensName);
    if (!lens) return 'its sequence_lens is computed at run time';
    if (toNumbers(lens).some((l) => l !== steps))
      return 'a sequence_lens shorter than the scan is not unrolled';
  }
  if (steps === 0 || batch === 0) return 'an empty scan would give empty outputs';
  if (steps * batch > MAX_UNROLLED_SCAN_STEPS)
    return `${batch}×${steps} steps are over the ${MAX_UNROLLED_SCAN_STEPS} unrolled`;
  const dirs = attrInts(node, 'directions', new Array<number>(b.nScanIn).fill(0));
  const finals: string[][] = Array.from({ length: b.nState }, () => []);
  const rows: string[][] = Array.from({ length: b.nScanOut }, () => []);
  for (let e = 0; e < batch; e++) {
    const states = ins.slice(0, b.nState).map((v) => em.take(v, 0, e));
    const entry = ins.slice(b.nState).map((v) => em.take(v, 0, e));
    const r = unrollBody(em, b, states, steps, (j, t) => em.take(entry[j]!, 0, dirs[j] ? steps - 1 - t : t));
    r.states.forEach((s, k) => finals[k]!.push(s));
    r.elems.forEach((items, k) => rows[k]!.push(em.stack(items, 0)));
  }
  node.outputs.forEach((o, k) => {
    if (!o) return;
    em.stack(k < b.nState ? finals[k]! : rows[k - b.nState]!, 0, o);
  });
  return undefined;
}
