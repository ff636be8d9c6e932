import { KilnError, asKilnError } from '../../runtime/errors.js';
import { Tensor, shapeSize } from '../../runtime/tensor.js';
import type { InferContext } from '../reference/op.js';
import { findOp } from '../reference/registry.js';
import type { Dim, Graph, Model, Node, TypeInfo } from './graph.js';
import { attrIntOpt } from './attrs.js';
import { topoOrder } from './topo.js';

/** Ops whose result is not a function of their inputs: never folded. */
const NONDETERMINISTIC = new Set([
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Bernoulli',
  'Multinomial',
]);

/** Folding is for shape arithmetic and small constants; big tensors stay as they are. */
const MAX_FOLD_ELEMENTS = 1 << 16;

export interface InferenceReport {
  /** Types of every value in the main graph (inputs, initializers, intermediates, outputs). */
  types: Map<string, TypeInfo>;
  /** Values known at compile time (initializers and folded results). */
  constants: Map<string, Tensor>;
  /** Ops for which no inference exists (their outputs keep declared types, if any). */
  unsupported: Set<string>;
}

interface Env {
  types: Map<string, TypeInfo>;
  constants: Map<string, Tensor>;
}

/**
 * Shape and type inference over a model, symbolic dims included. Fills `graph.valueInfo` (and the
 * types of graph outputs that lack one) for the main graph and every subgraph, folding small
 * constant subexpressions (Shape → Gather → Concat chains) on the way so reshapes get exact shapes.
 */
export function inferShapes(model: Model, options: { file?: string } = {}): InferenceReport {
  const engine = new InferenceEngine(model, options.file);
  const env = engine.graph(model.graph, { types: new Map(), constants: new Map() });
  return { types: env.types, constants: env.constants, unsupported: engine.unsupported };
}

class InferenceEngine {
  readonly unsupported = new Set<string>();
  private fresh = 0;
  private readonly localFunctions: Set<string>;

  constructor(
    private readonly model: Model,
    private readonly file?: string,
  ) {
    this.localFunctions = new Set(model.functions.map((f) => `${f.domain}::${f.name}`));
  }

  /** Infer `graph` with the outer scope `outer` visible; returns the graph's own environment. */
  graph(graph: Graph, outer: Env, inputTypes?: (TypeInfo | undefined)[]): Env {
    const env: Env = { types: new Map(outer.types), constants: new Map(outer.constants) };
    const inputNames = new Set(graph.inputs.map((v) => v.name));
    graph.inputs.forEach((v, i) => {
      const t = inputTypes?.[i] ?? v.type;
      if (t) env.types.set(v.name, t);
      else env.types.delete(v.name);
      env.constants.delete(v.name);
    });
    for (const [name, t] of graph.initializers) {
      if (!env.types.has(name) || !inputNames.has(name))
        env.types.set(name, { dtype: t.dtype, shape: [...t.shape] });
      // An initializer that is also a graph input is only a default: the caller may override it.
      if (!inputNames.has(name)) env.constants.set(name, t);
    }
    for (const node of topoOrder(graph)) this.node(node, graph, env);
    for (const out of graph.outputs) {
      const t = mergeTypes(env.types.get(out.name), out.type);
      if (t) out.type = t;
    }
    return env;
  }

  private node(node: Node, graph: Graph, env: Env): void {
    const opset = this.model.opsetImports.get(node.domain) ?? 1;
    const inputs = node.inputs.map((n) => (n ? env.types.get(n) : undefined));
    const constants = node.inputs.map((n) => (n ? env.constants.get(n) : undefined));
    const def = this.localFunctions.has(`${node.domain}::${node.op}`)
      ? undefined
      : findOp(node.domain, node.op);
    let outputs: (TypeInfo | undefined)[] = [];
    if (!def) {
      this.unsupported.add(node.domain ? `${node.domain}.${node.op}` : node.op);
    } else {
      const ctx: InferContext = {
        node,
        opset,
        inputs,
        constants,
        freshDim: () => `~${this.fresh++}`,
        inferSubgraph: (g, types) => {
          const sub = this.graph(g, env, types);
          return g.outputs.map((o) => sub.types.get(o.name) ?? o.type);
        },
      };
      try {
        outputs = def.infer(ctx);
      } catch (err) {
        throw asKilnError(err, 'shape inference failed', { file: this.file, node: node.name, op: node.op });
      }
      const folded = staticShapeValue(node, inputs[0], opset) ?? this.tryFold(node, def, opset, constants);
      if (folded) {
        folded.forEach((t, i) => {
          if (!t || !node.outputs[i]) return;
          env.constants.set(node.outputs[i]!, t);
          outputs[i] = { dtype: t.dtype, shape: [...t.shape] };
        });
      }
    }
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const declared = graph.valueInfo.get(name)?.type ?? graph.outputs.find((o) => o.name === name)?.type;
      const t = mergeTypes(outputs[i], declared);
      if (!t) return;
      env.types.set(name, t);
      if (!graph.outputs.some((o) => o.name === name)) {
        const vi = graph.valueInfo.get(name);
        graph.valueInfo.set(name, { ...vi, name, kind: vi?.kind ?? 'tensor', type: t });
      }
    });
  }

  private tryFold(
    node: Node,
    def: NonNullable<ReturnType<typeof findOp>>,
    opset: number,
    constants: (Tensor | undefined)[],
  ): (Tensor | undefined)[] | undefined {
    const run = def.run ?? def.runValues;
    if (NONDETERMINISTIC.has(node.op) || !run) return undefined;
    if (Object.values(node.attrs).some((a) => a.type === 'graph' || a.type === 'graphs')) return undefined;
    for (let i = 0; i < node.inputs.length; i++) {
      if (!node.inputs[i]) continue;
      const c = constants[i];
      if (!c || c.size > MAX_FOLD_ELEMENTS) return undefined;
    }
    if (node.inputs.length === 0 && node.op !== 'Constant') return undefined;
    try {
      const out = run(constants, {
        node,
        opset,
        runSubgraph: () => {
          throw new KilnError('subgraphs are not folded');
        },
      });
      if (
        out.some((t) => t !== undefined && (!(t instanceof Tensor) || shapeSize(t.shape) > MAX_FOLD_ELEMENTS))
      ) {
        return undefined;
      }
      return out as (Tensor | undefined)[];
    } catch {
      // Folding is an optimisation of inference; a failure here surfaces when the graph runs.
      return undefined;
    }
  }
}

/** Shape and Size of a value whose shape is fully known are constants, even when its data is not. */
function staticShapeValue(node: Node, input: TypeInfo | undefined, opset: number): Tensor[] | undefined {
  if (node.domain !== '' || (node.op !== 'Shape' && node.op !== 'Size')) return undefined;
  const shape = input?.shape;
  if (!shape || shape.some((d) => typeof d !== 'number')) return undefined;
  const dims = shape as number[];
  if (node.op === 'Size') return [new Tensor('int64', [], new BigInt64Array([BigInt(shapeSize(dims))]))];
  let start = 0;
  let end = dims.length;
  if (opset >= 15) {
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dims.length : v, 0), dims.length);
    start = clamp(attrIntOpt(node, 'start') ?? 0);
    end = clamp(attrIntOpt(node, 'end') ?? dims.length);
  }
  const sel = dims.slice(start, Math.max(start, end));
  return [new Tensor('int64', [sel.length], new BigInt64Array(sel.map((d) => BigInt(d))))];
}

/** Combine inferred and declared types: known sizes beat symbols, declared names beat fresh symbols. */
export function mergeTypes(
  inferred: TypeInfo | undefined,
  declared: TypeInfo | undefined,
): TypeInfo | undefined {
  if (!inferred) return declared;
  if (!declared) return inferred;
  if (!inferred.shape) return { dtype: inferred.dtype, shape: declared.shape };
  if (!declared.shape || declared.shape.length !== inferred.shape.length) return inferred;
  const shape: Dim[] = inferred.shape.map((d, i) => {
    const e = declared.shape![i]!;
    if (typeof d === 'number') return d;
    if (typeof e === 'number') return e;
    return d.startsWith('~') && !e.startsWith('?') ? e : d;
  });
  return { dtype: inferred.dtype, shape };
}

export function formatType(t: TypeInfo | undefined): string {
  if (!t) return '?';
  return `${t.dtype}${t.shape ? `[${t.shape.join(',')}]` : '[...]'}`;
}
