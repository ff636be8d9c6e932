import { KilnError } from '../../runtime/errors.js';
import type { Graph, Model } from './graph.js';
import { nodeDependencies } from './topo.js';

export interface VerifyProblem {
  graph: string;
  node?: string;
  op?: string;
  message: string;
}

/**
 * Structural checks of a model: single assignment, every use defined before it (ONNX requires nodes in
 * topological order), graph outputs produced, initializer types agreeing with declared inputs, and
 * an opset import for every domain used. Returns the problems found (empty when valid).
 */
export function verifyModel(model: Model): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const local = new Set(model.functions.map((f) => `${f.domain}::${f.name}`));
  verifyGraph(model.graph, new Set(), problems, (domain, op, graph, node) => {
    if (!model.opsetImports.has(domain) && !local.has(`${domain}::${op}`)) {
      problems.push({ graph, node, op, message: `domain '${domain || 'ai.onnx'}' has no opset import` });
    }
  });
  return problems;
}

/** Throw one KilnError listing every problem, if any. */
export function assertValid(model: Model, file?: string): void {
  const problems = verifyModel(model);
  if (problems.length === 0) return;
  const first = problems[0]!;
  const list = problems
    .slice(0, 20)
    .map((p) => `  - graph '${p.graph}'${p.node ? `, node '${p.node}' (${p.op})` : ''}: ${p.message}`)
    .join('\n');
  throw new KilnError(
    `model is not valid (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${list}`,
    { file, node: first.node, op: first.op },
  );
}

function verifyGraph(
  g: Graph,
  outer: Set<string>,
  problems: VerifyProblem[],
  checkDomain: (domain: string, op: string, graph: string, node: string) => void,
): void {
  const defined = new Set<string>();
  const assigned = new Set<string>();
  const add = (name: string, what: string, node?: { name: string; op: string }) => {
    if (assigned.has(name)) {
      problems.push({
        graph: g.name,
        node: node?.name,
        op: node?.op,
        message: `'${name}' is assigned more than once (${what})`,
      });
    }
    assigned.add(name);
    defined.add(name);
  };
  for (const v of g.inputs) add(v.name, 'graph input');
  for (const [name, t] of g.initializers) {
    const input = g.inputs.find((v) => v.name === name);
    if (input) {
      if (input.type && input.type.dtype !== t.dtype) {
        problems.push({
          graph: g.name,
          message: `initializer '${name}' is ${t.dtype} but the input declares ${input.type.dtype}`,
        });
      }
      continue;
    }
    add(name, 'initializer');
  }
  const visible = (name: string) => defined.has(name) || outer.has(name);
  for (const node of g.nodes) {
    checkDomain(node.domain, node.op, g.name, node.name);
    for (const dep of nodeDependencies(node)) {
      if (!visible(dep)) {
        const produced = g.nodes.some((n) => n.outputs.includes(dep));
        problems.push({
          graph: g.name,
          node: node.name,
          op: node.op,
          message: produced
            ? `uses '${dep}' before it is produced (nodes are not in topological order)`
            : `uses undefined value '${dep}'`,
        });
      }
    }
    const scope = new Set([...outer, ...defined]);
    for (const a of Object.values(node.attrs)) {
      const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const sg of subs) verifyGraph(sg, scope, problems, checkDomain);
    }
    for (const o of node.outputs) if (o) add(o, `output of ${node.op}`, node);
  }
  for (const o of g.outputs) {
    if (!visible(o.name))
      problems.push({ graph: g.name, message: `graph output '${o.name}' is never produced` });
  }
}
