/**
 * A Loop with a compile-time trip count M whose condition never stops it early (absent or a constant
 * true, and passed through unchanged by the body, or a constant true there) is unrolled: the body's
 * nodes once per iteration, iteration_num a constant, loop-carried values threaded through, scan
 * outputs stacked on a new axis 0. The unrolled bodies' Slice starts, Gather indices, ... become
 * constants the next constant folding resolves. Other Loops are left, with the reason
 * (not-unrolled.ts).
 */
import { Tensor, scalar } from '../../runtime/tensor.js';
import { attrGraph, attrTensor } from '../ir/attrs.js';
import type { Graph, Model, Node } from '../ir/graph.js';
import { NameGen, constantOf, producers, replaceNode, scalarConstant } from './graph-utils.js';
import { NodeEmitter } from './node-emitter.js';
import { markNotUnrolled } from './not-unrolled.js';
import type { PassResult } from './pass.js';
import { inlineSubgraph } from './subgraph-inlining.js';

/** More iterations than this stay a Loop: unrolling trades one node for body × trips nodes. */
export const MAX_UNROLLED_ITERATIONS = 256;

export function unrollLoops(model: Model): PassResult {
  const g = model.graph;
  const loops = g.nodes.filter((n) => n.domain === '' && n.op === 'Loop');
  if (!loops.length) return { changed: 0 };
  const names = new NameGen(g);
  let changed = 0;
  for (const node of loops) {
    const body = attrGraph(node, 'body');
    const trips = tripCount(g, node, body);
    if (typeof trips === 'string') {
      markNotUnrolled(node, trips);
      continue;
    }
    const carried = node.inputs.slice(2);
    const nScan = body.outputs.length - 1 - carried.length;
    if (body.inputs.length !== carried.length + 2 || nScan < 0) continue; // malformed: left for its error
    if (carried.some((v) => !v)) {
      markNotUnrolled(node, 'an omitted loop-carried value (optional) is not unrolled');
      continue;
    }
    if (trips === 0 && nScan > 0) {
      markNotUnrolled(node, 'zero iterations would give empty scan outputs');
      continue;
    }
    const em = new NodeEmitter(g, model, node.name || 'Loop', names);
    const condTrue = em.constant(scalar('bool', true), 'cond');
    let values = carried;
    const scans: string[][] = Array.from({ length: nScan }, () => []);
    for (let i = 0; i < trips; i++) {
      const feeds = new Map<string, string>([
        [body.inputs[0]!.name, em.constant(scalar('int64', BigInt(i)), 'iter')],
        [body.inputs[1]!.name, condTrue],
      ]);
      values.forEach((v, k) => feeds.set(body.inputs[k + 2]!.name, v));
      const outs = inlineSubgraph(em, body, feeds);
      values = outs.slice(1, 1 + carried.length);
      outs.slice(1 + carried.length).forEach((s, k) => scans[k]!.push(s));
    }
    node.outputs.forEach((o, k) => {
      if (!o) return;
      if (k < carried.length) em.op('Identity', [values[k]!], {}, o);
      else em.stack(scans[k - carried.length]!, 0, o);
    });
    replaceNode(g, node, ...em.nodes);
    changed++;
  }
  return { changed };
}

/** The iteration count, or why it is not known at compile time. */
function tripCount(g: Graph, node: Node, body: Graph): number | string {
  const [m, cond] = node.inputs;
  if (!m) return 'a Loop without a trip count M runs until its condition fails (not unrolled)';
  const trips = scalarConstant(g, m);
  if (trips === undefined)
    return 'its trip count M is computed at run time (bind the graph input deciding it, e.g. kiln compile --bind)';
  if (cond) {
    const c = constantOf(g, cond);
    if (!c || c.size !== 1)
      return 'its condition is computed at run time (bind the graph input deciding it, e.g. kiln compile --bind)';
    if (Number(c.data[0]) === 0) return 0;
  }
  if (!conditionStaysTrue(body))
    return 'its body computes the condition, so the iteration count is only known at run time';
  if (trips > MAX_UNROLLED_ITERATIONS)
    return `trip count ${trips} is over the ${MAX_UNROLLED_ITERATIONS} unrolled`;
  return Math.max(0, trips);
}

/** The body's condition output is its condition input (through Identity nodes) or a constant true. */
function conditionStaysTrue(body: Graph): boolean {
  const condIn = body.inputs[1]?.name;
  const made = producers(body);
  let v = body.outputs[0]?.name;
  const truthy = (t: Tensor | undefined) => !!t && t.size === 1 && Number(t.data[0]) !== 0;
  for (let hops = 0; v && hops < 64; hops++) {
    if (v === condIn) return true;
    if (body.initializers.has(v)) return truthy(body.initializers.get(v));
    const p = made.get(v);
    if (!p || p.domain !== '') return false;
    if (p.op === 'Constant') return truthy(attrTensor(p, 'value'));
    if (p.op !== 'Identity') return false;
    v = p.inputs[0];
  }
  return false;
}
