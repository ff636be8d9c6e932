import type { Tensor } from '../../runtime/tensor.js';
import type { Attribute, Model, Node } from '../ir/graph.js';
import { topoOrder } from '../ir/topo.js';
import type { PassResult } from './pass.js';
import { graphOutputNames, hasSubgraph, isRandom, removeNode, replaceUses } from './graph-utils.js';

/** Initializers up to this size are compared by value (bigger ones are weights, rarely duplicated). */
const MAX_DEDUP_ELEMENTS = 4096;

/**
 * Common-subexpression elimination: small initializers with equal dtype, shape and bits become one;
 * then nodes with the same op, domain, inputs and attributes (in topological order, so chains of
 * duplicates collapse) are merged into the first. Random ops are never merged, nor nodes with
 * subgraphs (in a valid model equal bodies still differ in their value names, so comparing them
 * would need renaming for no gain). A duplicate whose output is a graph output stays, so output
 * names never change.
 * `changed`: initializers and nodes removed.
 */
export function eliminateCommonSubexpressions(model: Model): PassResult {
  const g = model.graph;
  const outs = graphOutputNames(g);
  const inputs = new Set(g.inputs.map((v) => v.name));
  let changed = 0;
  const byValue = new Map<string, string>();
  for (const [name, t] of [...g.initializers]) {
    if (inputs.has(name) || outs.has(name) || t.size > MAX_DEDUP_ELEMENTS) continue;
    const key = tensorKey(t);
    const first = byValue.get(key);
    if (first === undefined) {
      byValue.set(key, name);
      continue;
    }
    replaceUses(g, name, first);
    g.initializers.delete(name);
    changed++;
  }
  const seen = new Map<string, Node>();
  for (const node of topoOrder(g)) {
    if (isRandom(node) || hasSubgraph(node)) continue;
    const key = nodeKey(node);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, node);
      continue;
    }
    // A duplicate writing a graph output stays (output names never change); it can still be the
    // node others merge into, had it come first.
    if (node.outputs.some((o) => outs.has(o))) continue;
    node.outputs.forEach((o, i) => o && replaceUses(g, o, first.outputs[i]!));
    for (const o of node.outputs) g.valueInfo.delete(o);
    removeNode(g, node);
    changed++;
  }
  return { changed };
}

/** Equal keys mean interchangeable nodes: same op, inputs, attributes and set of used outputs. */
function nodeKey(node: Node): string {
  const attrs = Object.keys(node.attrs)
    .sort()
    .map((k) => `${k}=${attrKey(node.attrs[k]!)}`);
  const used = node.outputs.map((o) => (o ? 1 : 0)).join('');
  return JSON.stringify([node.domain, node.op, node.inputs, attrs, used]);
}

function attrKey(a: Attribute): string {
  switch (a.type) {
    case 'tensor':
    case 'sparse_tensor':
      return `${a.type}:${tensorKey(a.value)}`;
    case 'tensors':
      return `tensors:${a.value.map(tensorKey).join('|')}`;
    case 'float':
    case 'floats':
      // Object.is semantics: -0 and 0 differ, NaN payloads are one value.
      return `${a.type}:${JSON.stringify([a.value].flat().map((v) => (Object.is(v, -0) ? '-0' : String(v))))}`;
    default:
      return `${a.type}:${JSON.stringify(a.value)}`;
  }
}

function tensorKey(t: Tensor): string {
  const data = t.dtype === 'string' ? JSON.stringify(t.data) : bytesKey(t.data as ArrayBufferView);
  return `${t.dtype}[${t.shape.join(',')}]${data}`;
}

/** Exact bits, so -0/0 and distinct NaNs are told apart. */
function bytesKey(v: ArrayBufferView): string {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(bytes).toString('base64');
}
