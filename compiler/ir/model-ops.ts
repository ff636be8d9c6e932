import type { Graph, Model } from './graph.js';

/** Every (domain, op) a model uses, including inside subgraphs and model-local functions. */
export function modelOps(model: Model): { domain: string; op: string }[] {
  const seen = new Map<string, { domain: string; op: string }>();
  const local = new Set(model.functions.map((f) => `${f.domain}::${f.name}`));
  const walkNodes = (nodes: Graph['nodes']) => {
    for (const n of nodes) {
      const k = `${n.domain}::${n.op}`;
      if (!local.has(k)) seen.set(k, { domain: n.domain, op: n.op });
      for (const a of Object.values(n.attrs)) {
        if (a.type === 'graph') walkNodes(a.value.nodes);
        else if (a.type === 'graphs') a.value.forEach((g) => walkNodes(g.nodes));
      }
    }
  };
  walkNodes(model.graph.nodes);
  for (const f of model.functions) walkNodes(f.nodes);
  return [...seen.values()];
}
