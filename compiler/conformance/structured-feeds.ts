/**
 * The conformance backends' bridge between the reference's values (TensorSequence, OptionalValue) and
 * a compiled artifact's flattened tensors, through the same structure code the session API uses
 * (runtime/structured-io.ts), so the conformance runs exercise it.
 */
import { KilnError } from '../../runtime/errors.js';
import { type StructuredIo, flattenFeeds, groupTensors } from '../../runtime/structured-io.js';
import { Tensor } from '../../runtime/tensor.js';
import { OptionalValue, TensorSequence, type Value } from '../reference/value.js';

interface FlatTensor {
  name: string;
  shape: readonly number[];
  dtype?: string;
}

/** Feeds by flattened tensor name: sequences as arrays, optionals as their value or null, then flattened. */
export function flatFeeds(
  feeds: ReadonlyMap<string, Value>,
  io: StructuredIo,
  flatInputs: readonly FlatTensor[],
): Record<string, Tensor> {
  const session: Record<string, unknown> = {};
  for (const [name, v] of feeds) session[name] = sessionValue(v);
  const flat = flattenFeeds(
    session,
    io.inputs,
    flatInputs.map((t) => ({ name: t.name, dtype: t.dtype ?? 'float32', shape: t.shape })),
  );
  const out: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(flat)) {
    if (!(v instanceof Tensor)) throw new KilnError(`input '${name}' is not a tensor`);
    out[name] = v;
  }
  return out;
}

function sessionValue(v: Value): unknown {
  if (v instanceof TensorSequence) return v.items;
  if (v instanceof OptionalValue) return v.value === undefined ? null : sessionValue(v.value);
  return v;
}

/** Outputs by the model's names, structured outputs as TensorSequence/OptionalValue again. */
export function structuredOutputs(
  flat: Readonly<Record<string, Tensor>>,
  io: StructuredIo,
): Map<string, Value> {
  const grouped = groupTensors(flat, io.outputs);
  const out = new Map<string, Value>();
  for (const [name, v] of Object.entries(grouped)) {
    const g = io.outputs.find((s) => s.name === name);
    const seq = (items: Tensor[]) => new TensorSequence(g?.dtype ?? items[0]?.dtype ?? 'float32', items);
    const value = Array.isArray(v) ? seq(v) : v;
    out.set(name, g?.kind === 'optional' ? new OptionalValue(value ?? undefined, g.dtype) : value!);
  }
  return out;
}
