/** Small graph queries and edits shared by the passes (main graph; subgraph captures followed). */
import type { Tensor } from '../../runtime/tensor.js';
import type { Graph, Node } from '../ir/graph.js';
import { nodeDependencies } from '../ir/topo.js';

/** Ops whose result is not a function of their inputs: never folded, never merged. */
export const RANDOM_OPS = new Set([
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Bernoulli',
  'Multinomial',
]);

export function isRandom(node: Node): boolean {
  return node.domain === '' && RANDOM_OPS.has(node.op);
}

export function hasSubgraph(node: Node): boolean {
  return Object.values(node.attrs).some((a) => a.type === 'graph' || a.type === 'graphs');
}

/** Value name → the node producing it. */
export function producers(graph: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Value name → nodes reading it, directly or from inside one of their subgraphs. */
export function consumers(graph: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const d of new Set(nodeDependencies(n))) {
      const list = m.get(d);
      if (list) list.push(n);
      else m.set(d, [n]);
    }
  }
  return m;
}

export function graphOutputNames(graph: Graph): Set<string> {
  return new Set(graph.outputs.map((o) => o.name));
}

/** The compile-time value of `name`: an initializer that is not also a (overridable) graph input. */
export function constantOf(graph: Graph, name: string): Tensor | undefined {
  if (!name) return undefined;
  const t = graph.initializers.get(name);
  if (!t || graph.inputs.some((v) => v.name === name)) return undefined;
  return t;
}

/** A scalar constant (any shape with one element) as a number, else undefined. */
export function scalarConstant(graph: Graph, name: string): number | undefined {
  const t = constantOf(graph, name);
  if (!t || t.size !== 1 || t.dtype === 'string') return undefined;
  return Number((t.data as ArrayLike<number | bigint>)[0]);
}

/** Make every read of `from` (subgraph captures included) read `to` instead. */
export function replaceUses(graph: Graph, from: string, to: string): void {
  for (const n of graph.nodes) {
    n.inputs = n.inputs.map((i) => (i === from ? to : i));
    for (const a of Object.values(n.attrs)) {
      const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const g of subs) replaceUses(g, from, to);
    }
  }
}

/** Rename a value produced by a node of `graph`: its producer, every reader and its value_info. */
export function renameValue(graph: Graph, from: string, to: string): void {
  for (const n of graph.nodes) n.outputs = n.outputs.map((o) => (o === from ? to : o));
  replaceUses(graph, from, to);
  const vi = graph.valueInfo.get(from);
  graph.valueInfo.delete(from);
  if (vi && !graph.valueInfo.has(to)) graph.valueInfo.set(to, { ...vi, name: to });
}

/**
 * Remove `node`, which computes nothing (its output `output` equals its input `input`). Readers of
 * the output read the input instead. When the output is a graph output, the graph keeps its output
 * name: the input's producer is renamed to write it directly. Returns false (and changes nothing)
 * when that is impossible: the input is a graph input, an initializer or itself a graph output.
 */
export function bypassNode(graph: Graph, node: Node, input: string, output: string): boolean {
  const outs = graphOutputNames(graph);
  if (outs.has(output)) {
    const producedHere = graph.nodes.some((n) => n !== node && n.outputs.includes(input));
    if (!producedHere || outs.has(input)) return false;
    removeNode(graph, node);
    renameValue(graph, input, output);
    return true;
  }
  removeNode(graph, node);
  replaceUses(graph, output, input);
  graph.valueInfo.delete(output);
  return true;
}

export function removeNode(graph: Graph, node: Node): void {
  const i = graph.nodes.indexOf(node);
  if (i >= 0) graph.nodes.splice(i, 1);
}

/** Replace `old` by `replacements` at its position (keeps the file order readable). */
export function replaceNode(graph: Graph, old: Node, ...replacements: Node[]): void {
  const i = graph.nodes.indexOf(old);
  if (i < 0) graph.nodes.push(...replacements);
  else graph.nodes.splice(i, 1, ...replacements);
}

/** Fresh value/node names that collide with nothing in the graph. */
export class NameGen {
  private readonly used = new Set<string>();
  constructor(graph: Graph) {
    for (const v of [...graph.inputs, ...graph.outputs]) this.used.add(v.name);
    for (const k of graph.initializers.keys()) this.used.add(k);
    for (const n of graph.nodes) {
      this.used.add(n.name);
      for (const o of n.outputs) this.used.add(o);
    }
  }
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}
