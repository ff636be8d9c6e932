import type { Model } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import type { PassResult } from './pass.js';
import { isRandom, removeNode } from './graph-utils.js';

/**
 * Static shape-computation folding: shape inference knows the value of Shape/Size of statically
 * shaped tensors and folds small arithmetic on them (Shape → Gather → Unsqueeze → Concat ...). Every
 * node whose outputs inference knows as constants is replaced by initializers, so the Reshape/Expand
 * they feed get constant operands. `changed`: nodes folded.
 */
export function foldShapeComputations(model: Model): PassResult {
  const g = model.graph;
  const { constants } = inferShapes(model);
  let changed = 0;
  for (const node of [...g.nodes]) {
    if (isRandom(node) || node.outputs.length === 0) continue;
    const values = node.outputs.map((o) => (o ? constants.get(o) : undefined));
    if (node.outputs.some((o, i) => o && !values[i])) continue;
    node.outputs.forEach((o, i) => o && g.initializers.set(o, values[i]!));
    removeNode(g, node);
    changed++;
  }
  return { changed };
}
