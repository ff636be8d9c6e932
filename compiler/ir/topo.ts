import { KilnError } from '../../runtime/errors.js';
import type { Graph, Node } from './graph.js';

/** Names a subgraph reads from enclosing scopes (used but not produced inside it). */
export function outerReferences(graph: Graph): Set<string> {
  const produced = new Set<string>([...graph.inputs.map((v) => v.name), ...graph.initializers.keys()]);
  const used = new Set<string>();
  for (const node of graph.nodes) {
    for (const i of node.inputs) if (i && !produced.has(i)) used.add(i);
    for (const a of Object.values(node.attrs)) {
      const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const g of subs) for (const r of outerReferences(g)) if (!produced.has(r)) used.add(r);
    }
    for (const o of node.outputs) if (o) produced.add(o);
  }
  return used;
}

/** Inputs a node depends on: its own plus whatever its subgraphs capture from the enclosing scope. */
export function nodeDependencies(node: Node): string[] {
  const deps = node.inputs.filter((i) => i !== '');
  for (const a of Object.values(node.attrs)) {
    const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
    for (const g of subs) deps.push(...outerReferences(g));
  }
  return deps;
}

/**
 * Nodes in an order where every value is produced before it is used (stable: keeps the file's order
 * when it is already topological). Values not produced by any node are taken as available
 * (graph inputs, initializers, outer scope); a cycle is an error.
 */
export function topoOrder(graph: Graph): Node[] {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const deps = graph.nodes.map((n) =>
    [...new Set(nodeDependencies(n).map((d) => producer.get(d)))].filter((p) => p !== undefined),
  );
  const state = new Uint8Array(graph.nodes.length); // 0 new, 1 visiting, 2 done
  const order: Node[] = [];
  for (let root = 0; root < graph.nodes.length; root++) {
    if (state[root]) continue;
    // iterative DFS so deep graphs do not overflow the stack
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [n, k] = top;
      const ds = deps[n]!;
      if (k < ds.length) {
        top[1]++;
        const d = ds[k] as number;
        if (d === n || state[d] === 1) {
          const node = graph.nodes[n]!;
          throw new KilnError(`graph '${graph.name}' has a cycle through node '${node.name}'`, {
            node: node.name,
            op: node.op,
            expected: 'an acyclic graph',
          });
        }
        if (state[d] === 0) {
          state[d] = 1;
          stack.push([d, 0]);
        }
      } else {
        state[n] = 2;
        order.push(graph.nodes[n]!);
        stack.pop();
      }
    }
  }
  return order;
}
