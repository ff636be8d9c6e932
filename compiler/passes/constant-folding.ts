import { Tensor } from '../../runtime/tensor.js';
import type { Graph, Model, Node } from '../ir/graph.js';
import { topoOrder } from '../ir/topo.js';
import { GraphExecutor } from '../reference/executor.js';
import { findOp } from '../reference/registry.js';
import type { PassResult } from './pass.js';
import { constantOf, hasSubgraph, isRandom, removeNode } from './graph-utils.js';

export interface ConstantFoldingOptions {
  /**
   * How many elements a folded node may add beyond what its constant inputs hold. Ops such as
   * ConstantOfShape, Expand, Tile or Range turn a few numbers into big tensors; storing those in the
   * model would trade a cheap op for a large file, so such nodes stay.
   */
  maxGrowth?: number;
}

const DEFAULT_MAX_GROWTH = 1 << 16;

/**
 * Runs every node whose inputs are all constants (initializers that are not graph inputs) through
 * the reference executor and replaces it by initializers holding its outputs; Constant nodes become
 * initializers. Random ops, nodes with subgraphs and model-local functions are never folded; a node
 * the executor cannot run stays (its error surfaces when the graph runs). `changed`: nodes folded.
 */
export function foldConstants(model: Model, options: ConstantFoldingOptions = {}): PassResult {
  const g = model.graph;
  const maxGrowth = options.maxGrowth ?? DEFAULT_MAX_GROWTH;
  const executor = GraphExecutor.forModel(model);
  const local = new Set(model.functions.map((f) => `${f.domain}::${f.name}`));
  let changed = 0;
  for (const node of topoOrder(g)) {
    if (!foldable(g, node, local)) continue;
    const inputs = node.inputs.map((i) => constantOf(g, i));
    const outputs = runAlone(executor, node, inputs);
    if (!outputs) continue;
    let grown = -inputs.reduce((s, t) => s + (t?.size ?? 0), 0);
    for (const t of outputs.values()) grown += t.size;
    if (node.op !== 'Constant' && grown > maxGrowth) continue;
    for (const [name, t] of outputs) g.initializers.set(name, t);
    removeNode(g, node);
    changed++;
  }
  return { changed };
}

function foldable(g: Graph, node: Node, localFunctions: Set<string>): boolean {
  if (isRandom(node) || hasSubgraph(node)) return false;
  if (localFunctions.has(`${node.domain}::${node.op}`) || !findOp(node.domain, node.op)) return false;
  if (node.inputs.length === 0 && !(node.op === 'Constant' && node.domain === '')) return false;
  return node.inputs.every((i) => i === '' || constantOf(g, i));
}

/** Run one node on constant inputs: its outputs by name, or undefined when it fails or yields non-tensors. */
function runAlone(
  executor: GraphExecutor,
  node: Node,
  inputs: (Tensor | undefined)[],
): Map<string, Tensor> | undefined {
  const names = node.outputs.filter((o) => o);
  const graph: Graph = {
    name: `fold_${node.name}`,
    inputs: [],
    outputs: names.map((name) => ({ name })),
    nodes: [node],
    initializers: new Map(node.inputs.flatMap((n, i) => (n && inputs[i] ? [[n, inputs[i]!] as const] : []))),
    valueInfo: new Map(),
  };
  try {
    const out = executor.run(graph, new Map());
    const tensors = new Map<string, Tensor>();
    for (const [name, v] of out) {
      if (!(v instanceof Tensor)) return undefined;
      tensors.set(name, v);
    }
    return tensors;
  } catch {
    return undefined;
  }
}
