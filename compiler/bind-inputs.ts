import {
  BINDABLE_DTYPES,
  type BoundInput,
  MAX_BOUND_ELEMENTS,
  boundValues,
} from '../runtime/bound-inputs.js';
import { KilnError } from '../runtime/errors.js';
import type { Graph, Model } from './ir/graph.js';
import type { Tensor } from '../runtime/tensor.js';

/**
 * Freeze the values of graph inputs into the model (`kiln compile --bind NAME=FILE.npy`), the way TVM
 * binds params: each bound input's uses read a new initializer holding the value, so constant and
 * shape folding see it and shapes derived from it become static. The input itself stays a graph
 * input (unused by the compiled code; the session API is unchanged) with the value's concrete dims,
 * and the returned records go into the manifest so the runtime refuses any other value
 * (runtime/bound-inputs.ts). Rewrites the model in place.
 */
export function bindInputs(model: Model, bindings: ReadonlyMap<string, Tensor>): BoundInput[] {
  const g = model.graph;
  const formal = g.inputs.filter((v) => !g.initializers.has(v.name));
  const records: BoundInput[] = [];
  for (const [name, value] of bindings) {
    const input = formal.find((v) => v.name === name);
    if (!input)
      throw new KilnError(`cannot bind '${name}': the model has no graph input of that name`, {
        expected: formal.length
          ? `one of the inputs ${formal.map((v) => `'${v.name}'`).join(', ')}`
          : 'a model with graph inputs',
      });
    const declared = input.type;
    if (declared && declared.dtype !== value.dtype)
      throw new KilnError(`cannot bind '${name}': the value is ${value.dtype}`, {
        expected: `${declared.dtype} (the input's declared type)`,
      });
    if (!BINDABLE_DTYPES.includes(value.dtype))
      throw new KilnError(`cannot bind '${name}': ${value.dtype} values cannot be bound`, {
        expected: `one of ${BINDABLE_DTYPES.join(', ')}`,
      });
    if (value.size > MAX_BOUND_ELEMENTS)
      throw new KilnError(`cannot bind '${name}': the value has ${value.size} elements`, {
        expected: `at most ${MAX_BOUND_ELEMENTS} (--bind is for inputs that decide shapes)`,
      });
    const dims = declared?.shape;
    const dimsFit =
      !dims ||
      (dims.length === value.shape.length &&
        dims.every((d, i) => typeof d === 'string' || d === value.shape[i]));
    if (!dimsFit)
      throw new KilnError(`cannot bind '${name}': the value has dims [${value.shape.join(',')}]`, {
        expected: `dims [${dims!.join(',')}] (the input's declared shape)`,
      });
    const constant = freshName(g, `${name}__bound`);
    g.initializers.set(constant, value);
    renameUses(g, name, constant);
    input.type = { dtype: value.dtype, shape: [...value.shape] };
    records.push({ name, dtype: value.dtype, shape: [...value.shape], values: boundValues(value) });
  }
  return records;
}

function freshName(g: Graph, base: string): string {
  const taken = new Set<string>([
    ...g.inputs.map((v) => v.name),
    ...g.initializers.keys(),
    ...g.nodes.flatMap((n) => n.outputs),
  ]);
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  return name;
}

/**
 * Point every use of `from` at `to`, in the graph's nodes and in subgraphs (If/Loop/Scan bodies)
 * that read it from the enclosing scope, unless a subgraph declares its own value of that name.
 */
function renameUses(g: Graph, from: string, to: string): void {
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((i) => (i === from ? to : i));
    for (const a of Object.values(n.attrs)) {
      const subgraphs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const sub of subgraphs) if (!declares(sub, from)) renameUses(sub, from, to);
    }
  }
}

function declares(g: Graph, name: string): boolean {
  return (
    g.inputs.some((v) => v.name === name) ||
    g.initializers.has(name) ||
    g.nodes.some((n) => n.outputs.includes(name))
  );
}
