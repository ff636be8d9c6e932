import type { Model, Node } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import { topoOrder } from '../ir/topo.js';
import { isFloatDType } from '../../runtime/dtype.js';
import type { PassResult } from './pass.js';
import { KILN_DOMAIN, importKilnDomain } from './pass.js';
import { matchActivation } from './activation-match.js';
import { consumers, graphOutputNames, removeNode, replaceNode } from './graph-utils.js';

/** ONNX op → the kiln op that also applies an activation. */
const FUSED: Record<string, string> = { Conv: 'FusedConv', Gemm: 'FusedGemm', MatMul: 'FusedMatMul' };

/**
 * Folds the activation following a Conv, Gemm or MatMul (or a kiln Fused* op without one) into a
 * kiln.Fused* node with `activation`/`activation_params`: Relu, Clip (Relu6 or any bounds),
 * LeakyRelu, HardSigmoid, HardSwish and its decompositions, x·σ(x) (SiLU), GELU (erf and tanh
 * forms). The producer's output must be read only by the activation; the fused node writes the
 * activation's output name. `changed`: activations fused.
 */
export function fuseActivations(model: Model): PassResult {
  const g = model.graph;
  const { types } = inferShapes(model);
  const opset = model.opsetImports.get('') ?? 1;
  let changed = 0;
  for (const node of topoOrder(g)) {
    const fusedOp = fusedName(node);
    const y = node.outputs[0];
    if (!fusedOp || !y || node.outputs.length !== 1) continue;
    const dtype = types.get(y)?.dtype;
    if (!dtype || !isFloatDType(dtype)) continue;
    const ctx = { graph: g, opset, consumers: consumers(g), graphOutputs: graphOutputNames(g) };
    if (ctx.graphOutputs.has(y)) continue;
    const match = matchActivation(ctx, y, true);
    if (!match) continue;
    const fused: Node = {
      ...node,
      op: fusedOp,
      domain: KILN_DOMAIN,
      outputs: [match.output],
      attrs: {
        ...node.attrs,
        activation: { type: 'string', value: match.activation },
        activation_params: { type: 'floats', value: match.params },
      },
    };
    replaceNode(g, node, fused);
    for (const n of match.nodes) removeNode(g, n);
    g.valueInfo.delete(y);
    importKilnDomain(model);
    changed++;
  }
  return { changed };
}

function fusedName(node: Node): string | undefined {
  if (node.domain === '') return FUSED[node.op];
  if (node.domain !== KILN_DOMAIN || !Object.values(FUSED).includes(node.op)) return undefined;
  const a = node.attrs.activation;
  return !a || (a.type === 'string' && a.value === 'none') ? node.op : undefined;
}
