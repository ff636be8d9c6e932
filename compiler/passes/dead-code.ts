import type { Model } from '../ir/graph.js';
import { nodeDependencies } from '../ir/topo.js';
import type { PassResult } from './pass.js';
import { producers } from './graph-utils.js';

/**
 * Dead-code elimination on the main graph: removes nodes none of whose outputs reach a graph output
 * (reads from inside subgraphs count), initializers nothing reads (initializers that are also graph
 * inputs stay: they are part of the model's interface) and value_info of values that no longer exist.
 * `changed` counts removed nodes and initializers.
 */
export function eliminateDeadCode(model: Model): PassResult {
  const g = model.graph;
  const producer = producers(g);
  const live = new Set<string>();
  const liveNodes = new Set<object>();
  const work = g.outputs.map((o) => o.name);
  while (work.length) {
    const name = work.pop()!;
    if (live.has(name)) continue;
    live.add(name);
    const n = producer.get(name);
    if (!n || liveNodes.has(n)) continue;
    liveNodes.add(n);
    work.push(...nodeDependencies(n));
  }
  const before = g.nodes.length;
  g.nodes = g.nodes.filter((n) => liveNodes.has(n));
  let changed = before - g.nodes.length;
  const inputs = new Set(g.inputs.map((v) => v.name));
  for (const name of [...g.initializers.keys()]) {
    if (!live.has(name) && !inputs.has(name)) {
      g.initializers.delete(name);
      changed++;
    }
  }
  const exists = new Set([...inputs, ...g.initializers.keys(), ...g.nodes.flatMap((n) => n.outputs)]);
  for (const name of [...g.valueInfo.keys()]) if (!exists.has(name)) g.valueInfo.delete(name);
  return { changed };
}
