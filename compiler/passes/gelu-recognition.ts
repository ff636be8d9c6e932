import type { Model, Node } from '../ir/graph.js';
import { topoOrder } from '../ir/topo.js';
import type { PassResult } from './pass.js';
import { KILN_DOMAIN, importKilnDomain } from './pass.js';
import { matchActivation } from './activation-match.js';
import { NameGen, consumers, graphOutputNames, removeNode } from './graph-utils.js';

/**
 * Recognises decomposed GELU, x/2·(1+erf(x/√2)) and the tanh form x/2·(1+tanh(√(2/π)(x+0.044715x³))),
 * in any operand order, and replaces it by one Gelu node: ONNX Gelu where the model's opset has it
 * (20+), else kiln.Gelu, both with `approximate` 'none' or 'tanh'. `changed`: GELUs recognised.
 */
export function recognizeGelu(model: Model): PassResult {
  const g = model.graph;
  const opset = model.opsetImports.get('') ?? 1;
  const names = new NameGen(g);
  let changed = 0;
  const candidates = [...g.inputs.map((v) => v.name), ...topoOrder(g).flatMap((n) => n.outputs)];
  for (const x of candidates) {
    if (!x) continue;
    const ctx = { graph: g, opset, consumers: consumers(g), graphOutputs: graphOutputNames(g) };
    const m = matchActivation(ctx, x, false);
    if (!m || m.nodes.length < 2 || (m.activation !== 'gelu' && m.activation !== 'gelu_tanh')) continue;
    const onnx = opset >= 20;
    const gelu: Node = {
      name: names.fresh(`${x}_gelu`),
      op: 'Gelu',
      domain: onnx ? '' : KILN_DOMAIN,
      inputs: [x],
      outputs: [m.output],
      attrs: { approximate: { type: 'string', value: m.activation === 'gelu' ? 'none' : 'tanh' } },
    };
    const at = g.nodes.indexOf(m.nodes[0]!);
    g.nodes.splice(at, 0, gelu);
    for (const n of m.nodes) {
      removeNode(g, n);
      if (n.outputs[0] !== m.output) g.valueInfo.delete(n.outputs[0]!);
    }
    if (!onnx) importKilnDomain(model);
    changed++;
  }
  return { changed };
}
