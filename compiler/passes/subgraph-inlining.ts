/**
 * Copy a subgraph (an If branch, a Loop or Scan body) into the enclosing graph under fresh names, its
 * formal inputs replaced by enclosing values. Names the subgraph reads from outer scopes stay as they
 * are; subgraphs nested in its nodes are copied too, their reads of the inlined values renamed
 * (unless they declare a value of that name themselves).
 */
import type { Attribute, Graph, Node } from '../ir/graph.js';
import { topoOrder } from '../ir/topo.js';
import type { NodeEmitter } from './node-emitter.js';

/**
 * Emit the nodes of `sub` with `em`, `inputs` mapping each of its formal input names to an enclosing
 * value. Returns the enclosing names of its outputs, in order.
 */
export function inlineSubgraph(em: NodeEmitter, sub: Graph, inputs: ReadonlyMap<string, string>): string[] {
  const rename = new Map(inputs);
  for (const [name, t] of sub.initializers) if (!inputs.has(name)) rename.set(name, em.constant(t, name));
  const read = (v: string) => (v ? (rename.get(v) ?? v) : '');
  for (const n of topoOrder(sub)) {
    const inputsHere = n.inputs.map(read);
    const attrs = renamedAttrs(n.attrs, rename);
    const outputs = n.outputs.map((o) => {
      if (!o) return '';
      const fresh = em.fresh(o);
      rename.set(o, fresh);
      return fresh;
    });
    em.nodes.push({
      name: em.fresh(n.name || n.op),
      op: n.op,
      domain: n.domain,
      inputs: inputsHere,
      outputs,
      attrs,
      ...(n.docString ? { docString: n.docString } : {}),
    });
  }
  return sub.outputs.map((o) => read(o.name));
}

function renamedAttrs(
  attrs: Record<string, Attribute>,
  rename: ReadonlyMap<string, string>,
): Record<string, Attribute> {
  const out: Record<string, Attribute> = {};
  for (const [k, a] of Object.entries(attrs)) {
    if (a.type === 'graph') out[k] = { type: 'graph', value: copyCapturing(a.value, rename) };
    else if (a.type === 'graphs')
      out[k] = { type: 'graphs', value: a.value.map((g) => copyCapturing(g, rename)) };
    else out[k] = a;
  }
  return out;
}

/** A copy of a nested subgraph whose reads of outer names follow `rename`, minus what it declares. */
function copyCapturing(g: Graph, rename: ReadonlyMap<string, string>): Graph {
  const declared = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.keys()]);
  for (const n of g.nodes) for (const o of n.outputs) if (o) declared.add(o);
  const inner = new Map([...rename].filter(([k]) => !declared.has(k)));
  return {
    ...g,
    inputs: g.inputs.map((v) => ({ ...v })),
    outputs: g.outputs.map((v) => ({ ...v, name: inner.get(v.name) ?? v.name })),
    initializers: new Map(g.initializers),
    valueInfo: new Map(g.valueInfo),
    nodes: g.nodes.map((n): Node => ({
      ...n,
      inputs: n.inputs.map((i) => (i ? (inner.get(i) ?? i) : '')),
      outputs: [...n.outputs],
      attrs: renamedAttrs(n.attrs, inner),
    })),
  };
}
