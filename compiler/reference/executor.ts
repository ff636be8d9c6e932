import { KilnError, asKilnError } from '../../runtime/errors.js';
import { Tensor, roundInPlace } from '../../runtime/tensor.js';
import type { Attribute, FunctionDef, Graph, Model, Node } from '../ir/graph.js';
import { topoOrder } from '../ir/topo.js';
import type { RunContext } from './op.js';
import { opFor } from './registry.js';
import { type Value, TensorSequence, OptionalValue } from './value.js';

/** Values visible to a graph: its own, then those of enclosing graphs (ONNX lexical scoping). */
class Scope {
  readonly values = new Map<string, Value>();
  constructor(readonly parent?: Scope) {}
  get(name: string): Value | undefined {
    return this.values.get(name) ?? this.parent?.get(name);
  }
}

export interface ExecuteOptions {
  /** Called after each node, e.g. for progress or tracing. */
  onNode?: (node: Node, outputs: (Value | undefined)[]) => void;
}

/**
 * The spec-exact interpreter: runs a graph node by node with the ops in ./ops. Used as the oracle for
 * targets and for constant folding, so it favours clarity and exactness over speed.
 */
export class GraphExecutor {
  private readonly functions = new Map<string, FunctionDef>();
  private readonly orders = new WeakMap<Graph, Node[]>();

  constructor(
    private readonly opsets: Map<string, number>,
    functions: FunctionDef[] = [],
    private readonly options: ExecuteOptions = {},
  ) {
    for (const f of functions) this.functions.set(`${f.domain}::${f.name}`, f);
  }

  static forModel(model: Model, options: ExecuteOptions = {}): GraphExecutor {
    return new GraphExecutor(model.opsetImports, model.functions, options);
  }

  /** Run `graph` with `feeds` bound to its inputs; returns every graph output by name. */
  run(graph: Graph, feeds: Map<string, Value>): Map<string, Value> {
    const scope = new Scope();
    const outs = this.execute(graph, feeds, scope);
    return new Map(graph.outputs.map((o, i) => [o.name, outs[i]!]));
  }

  private execute(graph: Graph, feeds: Map<string, Value>, scope: Scope, opsets = this.opsets): Value[] {
    for (const [name, t] of graph.initializers) scope.values.set(name, t);
    for (const [name, t] of feeds) scope.values.set(name, t);
    let order = this.orders.get(graph);
    if (!order) {
      order = topoOrder(graph);
      this.orders.set(graph, order);
    }
    for (const node of order) this.runNode(node, scope, opsets);
    return graph.outputs.map((o) => {
      const t = scope.get(o.name);
      if (!t) throw new KilnError(`graph '${graph.name}' output '${o.name}' was not produced`);
      return t;
    });
  }

  private runNode(node: Node, scope: Scope, opsets: Map<string, number>): void {
    const inputs = node.inputs.map((name) => {
      if (name === '') return undefined;
      const t = scope.get(name);
      if (!t) {
        throw new KilnError(`input '${name}' is not defined before use`, {
          node: node.name,
          op: node.op,
          expected: 'a graph input, initializer or earlier node output',
        });
      }
      return t;
    });
    let outputs: (Value | undefined)[];
    const fn = this.functions.get(`${node.domain}::${node.op}`);
    try {
      if (fn) {
        outputs = this.callFunction(fn, node, inputs);
      } else {
        const opset = opsets.get(node.domain) ?? (node.domain === '' ? 1 : 1);
        const def = opFor(node, opset);
        const ctx: RunContext = {
          node,
          opset,
          runSubgraph: (g, f) => this.execute(g, f, new Scope(scope), opsets),
        };
        if (def.runValues) outputs = def.runValues(inputs, ctx);
        else if (def.run)
          outputs = def.run(
            inputs.map((v, i) => asTensorInput(node, v, i)),
            ctx,
          );
        else throw new KilnError(`op has no implementation`, { node: node.name, op: node.op });
      }
    } catch (err) {
      throw asKilnError(err, `failed to run`, { node: node.name, op: node.op });
    }
    node.outputs.forEach((name, i) => {
      const t = outputs[i];
      if (!name) return;
      if (!t) {
        throw new KilnError(`did not produce output ${i} ('${name}')`, { node: node.name, op: node.op });
      }
      roundValue(t);
      scope.values.set(name, t);
    });
    this.options.onNode?.(node, outputs);
  }

  /** Model-local functions run in a fresh scope: a function body sees only its formal inputs. */
  private callFunction(fn: FunctionDef, call: Node, inputs: (Value | undefined)[]): (Value | undefined)[] {
    const body: Graph = {
      name: fn.name,
      inputs: fn.inputs.map((name) => ({ name })),
      outputs: fn.outputs.map((name) => ({ name })),
      nodes: fn.nodes.map((n) => bindAttributeRefs(n, call)),
      initializers: new Map(),
      valueInfo: new Map(),
    };
    const feeds = new Map<string, Value>();
    fn.inputs.forEach((name, i) => {
      const t = inputs[i];
      if (t) feeds.set(name, t);
    });
    const opsets = new Map([...this.opsets, ...fn.opsetImports]);
    return this.execute(body, feeds, new Scope(), opsets);
  }
}

/** Replace `ref_attr_name` attributes in a function body node by the caller's values. */
function bindAttributeRefs(node: Node, call: Node): Node {
  const attrs: Record<string, Attribute> = {};
  for (const [k, a] of Object.entries(node.attrs)) {
    if (a.type === 'ref') {
      const v = call.attrs[a.value];
      if (v) attrs[k] = v;
    } else attrs[k] = a;
  }
  return { ...node, attrs };
}

function asTensorInput(node: Node, v: Value | undefined, i: number): Tensor | undefined {
  if (v === undefined || v instanceof Tensor) return v;
  const kind = v instanceof TensorSequence ? 'a sequence' : 'an optional';
  throw new KilnError(`input ${i} ('${node.inputs[i]}') is ${kind}`, {
    node: node.name,
    op: node.op,
    expected: 'a tensor',
  });
}

/** Half-precision results are rounded once per op, as a half-precision kernel would store them. */
function roundValue(v: Value): void {
  if (v instanceof Tensor) roundInPlace(v.dtype, v.data);
  else if (v instanceof TensorSequence) v.items.forEach(roundValue);
  else if (v instanceof OptionalValue && v.value) roundValue(v.value);
}
