import type { Graph, Model, Node, TypeInfo } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import { topoOrder } from '../ir/topo.js';
import { type DType, isFloatDType } from '../../runtime/dtype.js';
import type { PassResult } from './pass.js';
import { KILN_DOMAIN, importKilnDomain } from './pass.js';
import { type Expr, constant, exprSize, input, serializeExpr } from './elementwise-expr.js';
import { nodeExpr } from './elementwise-ops.js';
import {
  NameGen,
  consumers,
  graphOutputNames,
  producers,
  removeNode,
  replaceNode,
  scalarConstant,
} from './graph-utils.js';

/** Expressions beyond this size stay split (shared subtrees are duplicated in the tree form). */
const MAX_EXPR_SIZE = 64;

/**
 * Fuses connected elementwise ops (unary and broadcasting binary ops, Clip, LeakyRelu, HardSigmoid,
 * HardSwish, Gelu) of one float dtype into a single kiln.Elementwise node whose `expression`
 * attribute holds the computation; scalar constants are folded into the expression, every other
 * operand becomes an input. A group has one output: every value computed inside it is read only
 * inside it. Groups of one node stay as they are. `changed`: nodes removed by fusion.
 */
export function fuseElementwise(model: Model): PassResult {
  const g = model.graph;
  const { types } = inferShapes(model);
  const opset = model.opsetImports.get('') ?? 1;
  const uses = consumers(g);
  const producer = producers(g);
  const outs = graphOutputNames(g);
  const names = new NameGen(g);
  const taken = new Set<Node>();
  let changed = 0;
  for (const root of topoOrder(g).reverse()) {
    const dtype = types.get(root.outputs[0] ?? '')?.dtype;
    if (taken.has(root) || !dtype || !fusible(g, root, opset, types, dtype)) continue;
    const group = new Set([root]);
    for (let grew = true; grew;) {
      grew = false;
      for (const n of [...group]) {
        for (const i of n.inputs) {
          const p = producer.get(i);
          if (!p || group.has(p) || taken.has(p) || outs.has(i)) continue;
          if (!fusible(g, p, opset, types, dtype) || !(uses.get(i) ?? []).every((c) => group.has(c)))
            continue;
          group.add(p);
          grew = true;
        }
      }
    }
    if (group.size < 2) continue;
    const leaves: string[] = [];
    const expr = build(root.outputs[0]!);
    function build(v: string): Expr {
      const p = producer.get(v);
      if (p && group.has(p)) return nodeExpr(g, p, opset, (i) => build(p.inputs[i]!))!;
      const s = scalarConstant(g, v);
      if (s !== undefined) return constant(s);
      if (!leaves.includes(v)) leaves.push(v);
      return input(leaves.indexOf(v));
    }
    if (exprSize(expr) > MAX_EXPR_SIZE || leaves.length === 0) continue;
    if (leaves.some((l) => types.get(l)?.dtype !== dtype)) continue;
    const fused: Node = {
      name: names.fresh(`${root.name || root.op}_fused`),
      op: 'Elementwise',
      domain: KILN_DOMAIN,
      inputs: leaves,
      outputs: [root.outputs[0]!],
      attrs: { expression: { type: 'string', value: serializeExpr(expr) } },
    };
    replaceNode(g, root, fused);
    for (const n of group) {
      taken.add(n);
      if (n === root) continue;
      removeNode(g, n);
      g.valueInfo.delete(n.outputs[0]!);
    }
    importKilnDomain(model);
    changed += group.size - 1;
  }
  return { changed };
}

/** An elementwise op Kiln can express whose output and data operands all have `dtype` (a float). */
function fusible(g: Graph, n: Node, opset: number, types: Map<string, TypeInfo>, dtype: DType): boolean {
  if (!isFloatDType(dtype) || n.outputs.length !== 1) return false;
  if (types.get(n.outputs[0]!)?.dtype !== dtype) return false;
  return nodeExpr(g, n, opset, () => input(0)) !== undefined;
}
