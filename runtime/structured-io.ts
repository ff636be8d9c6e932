/**
 * Sequence and optional graph inputs/outputs of a shape-specialised artifact. The compiler fixes a
 * sequence's length and element shapes (an optional's presence) at compile time and flattens it into
 * plain tensors of the manifest's `inputs`/`outputs` (`x[0]`, `x[1]`, …); the manifest's `structuredIo`
 * records which tensors form which value. This module turns the session API's values into those
 * tensors and back: a sequence is an array of tensors (as onnxruntime's Python API takes and returns
 * a list; onnxruntime-node 1.30 refuses sequence I/O), an optional its value (a tensor, as
 * onnxruntime-node takes for an optional tensor input, or an array) or `null` when absent.
 */
import type { DType } from './dtype.js';
import { KilnError } from './errors.js';
import { describe } from './ort-tensor.js';

export interface StructuredValue {
  /** The model's input/output name (what the session API shows). */
  name: string;
  kind: 'sequence' | 'optional';
  /** An optional's content as compiled: a tensor, a sequence, or nothing ('none': absent). */
  holds?: 'tensor' | 'sequence' | 'none';
  /** The element dtype, where known (an empty sequence or absent optional has no tensor to show it). */
  dtype?: DType;
  /** Its position among the model's inputs (outputs). */
  index: number;
  /** The manifest inputs (outputs) holding its tensors, in order. */
  tensors: string[];
}

export interface StructuredIo {
  inputs: StructuredValue[];
  outputs: StructuredValue[];
}

/** A flattened tensor as the manifest lists it, for messages. */
interface FlatTensor {
  name: string;
  dtype: string;
  shape: readonly (number | string)[];
}

/** Name of the i-th tensor of a flattened sequence (the manifest's input/output name). */
export function elementName(name: string, i: number): string {
  return `${name}[${i}]`;
}

/** Name of the tensor a present optional tensor is flattened into. */
export function optionalValueName(name: string): string {
  return `${name}?`;
}

/**
 * The model's input (output) names in order: tensors that belong to no structured value keep their
 * order, each structured value takes its recorded index.
 */
export function modelNames(flat: readonly string[], groups: readonly StructuredValue[] = []): string[] {
  const grouped = new Set(groups.flatMap((g) => g.tensors));
  const plain = flat.filter((n) => !grouped.has(n));
  const names = new Array<string | undefined>(plain.length + groups.length).fill(undefined);
  for (const g of groups) names[g.index] = g.name;
  let next = 0;
  return names.map((n) => n ?? plain[next++]!);
}

/** Whether a value is how the session API gives a sequence: an array (of tensors). */
const isSequence = (v: unknown): v is unknown[] => Array.isArray(v);

/**
 * The session's feeds with each structured input replaced by its tensors (by manifest name). Checks
 * the structure (a sequence's length, an optional's presence); each tensor's dtype and dims are the
 * caller's per-tensor checks, whose messages name it as `x[1]`.
 */
export function flattenFeeds(
  feeds: Readonly<Record<string, unknown>>,
  groups: readonly StructuredValue[] = [],
  flatInputs: readonly FlatTensor[],
  file?: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...feeds };
  for (const g of groups) {
    const v = feeds[g.name];
    delete out[g.name];
    const want = expectation(g, flatInputs);
    const fail = (message: string) => new KilnError(message, { ...(file ? { file } : {}), expected: want });
    const holds = g.kind === 'sequence' ? 'sequence' : g.holds;
    if (holds === 'none') {
      if (v !== null && v !== undefined)
        throw fail(`input '${g.name}' is ${describe(v)}, but it was compiled as an absent optional`);
      continue;
    }
    if (!Object.hasOwn(feeds, g.name) || v === undefined) throw fail(`missing input '${g.name}'`);
    if (holds === 'tensor') {
      if (v === null)
        throw fail(`input '${g.name}' is null (an absent optional), but it was compiled holding a tensor`);
      if (isSequence(v)) throw fail(`input '${g.name}' is ${describe(v)}, not a tensor`);
      out[g.tensors[0]!] = v;
      continue;
    }
    if (!isSequence(v)) throw fail(`input '${g.name}' is ${describe(v)}, not a sequence`);
    if (v.length !== g.tensors.length)
      throw fail(
        `input '${g.name}' is a sequence of ${v.length} tensors; the artifact was compiled for ${g.tensors.length}`,
      );
    g.tensors.forEach((t, i) => (out[t] = v[i]));
  }
  return out;
}

/**
 * Values by model name: each structured value's tensors gathered into it (array, tensor or null), as
 * the session returns outputs (and takes feeds).
 */
export function groupTensors<T>(
  flat: Readonly<Record<string, T>>,
  groups: readonly StructuredValue[] = [],
): Record<string, T | T[] | null> {
  const out: Record<string, T | T[] | null> = { ...flat };
  for (const g of groups) {
    for (const t of g.tensors) delete out[t];
    const items = g.tensors.map((t) => flat[t]!);
    const holds = g.kind === 'sequence' ? 'sequence' : g.holds;
    out[g.name] = holds === 'none' ? null : holds === 'tensor' ? items[0]! : items;
  }
  return out;
}

/** What a structured input takes, for error messages: `a sequence of 2 tensors: float32[3], …`. */
function expectation(g: StructuredValue, flat: readonly FlatTensor[]): string {
  const dims = g.tensors.map((t) => {
    const io = flat.find((f) => f.name === t);
    return io ? `${io.dtype}[${io.shape.join(',')}]` : t;
  });
  const holds = g.kind === 'sequence' ? 'sequence' : g.holds;
  if (holds === 'none') return 'null (an absent optional, as compiled)';
  if (holds === 'tensor') return `a ${dims[0]} tensor (the optional's value, as compiled)`;
  const seq = `an array of ${g.tensors.length} tensors${dims.length ? `: ${dims.join(', ')}` : ''}`;
  return g.kind === 'optional' ? `${seq} (the optional's sequence, as compiled)` : `${seq} (as compiled)`;
}

/** The inverse of groupTensors: each structured value's tensors by their manifest names. */
export function ungroupTensors<T>(
  values: Readonly<Record<string, T | T[] | null>>,
  groups: readonly StructuredValue[] = [],
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, v] of Object.entries(values)) {
    const g = groups.find((s) => s.name === name);
    if (!g) out[name] = v as T;
    else if (v !== null)
      (Array.isArray(v) ? v : [v]).forEach((t, i) => g.tensors[i] && (out[g.tensors[i]] = t));
  }
  return out;
}
