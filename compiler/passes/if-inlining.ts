/**
 * An If whose condition is a compile-time constant (after constant folding, or an input bound with
 * `kiln compile --bind`) is replaced by the nodes of the branch it takes; the If's outputs become
 * Identity nodes of the branch's outputs (the no-ops pass removes them). An If decided at run time
 * is left, with the reason (not-unrolled.ts).
 */
import { attrGraph } from '../ir/attrs.js';
import type { Model } from '../ir/graph.js';
import { NameGen, constantOf, replaceNode } from './graph-utils.js';
import { NodeEmitter } from './node-emitter.js';
import { markNotUnrolled } from './not-unrolled.js';
import type { PassResult } from './pass.js';
import { inlineSubgraph } from './subgraph-inlining.js';

export function inlineConstantIfs(model: Model): PassResult {
  const g = model.graph;
  const ifs = g.nodes.filter((n) => n.domain === '' && n.op === 'If');
  if (!ifs.length) return { changed: 0 };
  const names = new NameGen(g);
  let changed = 0;
  for (const node of ifs) {
    const cond = constantOf(g, node.inputs[0] ?? '');
    if (!cond || cond.size !== 1 || cond.dtype === 'string') {
      markNotUnrolled(
        node,
        'its condition is computed at run time (bind the graph input deciding it, e.g. kiln compile --bind)',
      );
      continue;
    }
    const branch = attrGraph(node, Number(cond.data[0]) !== 0 ? 'then_branch' : 'else_branch');
    if (branch.outputs.length !== node.outputs.length) continue; // malformed: left for the error it raises
    const em = new NodeEmitter(g, model, node.name || 'If', names);
    const outs = inlineSubgraph(em, branch, new Map());
    node.outputs.forEach((o, i) => {
      if (o) em.op('Identity', [outs[i]!], {}, o);
    });
    replaceNode(g, node, ...em.nodes);
    changed++;
  }
  return { changed };
}
