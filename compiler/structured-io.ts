/**
 * Sequence and optional graph inputs and outputs for the shape-specialised targets (docs/wasm-target.md,
 * *Sequences and optionals at the graph boundary*). Their structure (a sequence's length and element
 * shapes, an optional's presence) is fixed at compile time by an input signature: ONNX type info never
 * gives a sequence's length, so the caller supplies it (the conformance runner takes it from the test
 * data, as it binds shape inputs). Inputs are flattened before the passes: the sequence input `x` of
 * two tensors becomes tensor inputs `x[0]`, `x[1]` and a SequenceConstruct producing `x`, which the
 * sequence pass then follows like any other. Outputs are flattened after the passes, from the
 * canonical form the sequence pass leaves them in. The records go into the manifest (`structuredIo`)
 * so the runtime takes and returns sequences (runtime/structured-io.ts).
 */
import { type DType, dtypeFromOnnx, dtypeToOnnx } from '../runtime/dtype.js';
import { KilnError } from '../runtime/errors.js';
import { type StructuredValue, elementName, optionalValueName } from '../runtime/structured-io.js';
import { Tensor } from '../runtime/tensor.js';
import type { Graph, Model, Node, ValueInfo } from './ir/graph.js';
import { inferShapes } from './ir/infer.js';
import { notUnrolledReason } from './passes/not-unrolled.js';
import { TensorSequence, type Value } from './reference/value.js';

export interface TensorSignature {
  kind: 'tensor';
  dtype: DType;
  shape: number[];
}

export interface SequenceSignature {
  kind: 'sequence';
  dtype: DType;
  /** Each element's dims; the length is the sequence's. */
  shapes: number[][];
}

export interface OptionalSignature {
  kind: 'optional';
  /** Its element dtype, where known (for an absent optional). */
  dtype?: DType;
  /** What it holds; null when absent. */
  value: TensorSignature | SequenceSignature | null;
}

/** What a graph input is fixed to at compile time: its structure and dims, not its values. */
export type InputSignature = TensorSignature | SequenceSignature | OptionalSignature;

/** The signature of a value (e.g. a test case's input): its kind, dtypes and dims. */
export function signatureOf(v: Value): InputSignature {
  if (v instanceof Tensor) return { kind: 'tensor', dtype: v.dtype, shape: [...v.shape] };
  if (v instanceof TensorSequence)
    return { kind: 'sequence', dtype: v.dtype, shapes: v.items.map((t) => [...t.shape]) };
  const inner = v.value === undefined ? null : signatureOf(v.value);
  const dtype = inner?.kind === 'tensor' || inner?.kind === 'sequence' ? inner.dtype : v.elemDtype;
  return { kind: 'optional', ...(dtype ? { dtype } : {}), value: inner as OptionalSignature['value'] };
}

const describeSignature = (s: InputSignature): string =>
  s.kind === 'tensor'
    ? `a ${s.dtype}[${s.shape.join(',')}] tensor`
    : s.kind === 'sequence'
      ? `a sequence of ${s.shapes.length} ${s.dtype} tensors`
      : s.value
        ? `an optional holding ${describeSignature(s.value)}`
        : 'an absent optional';

/**
 * Prepare the graph inputs for a shape-specialised target, in place: inputs that have an initializer
 * (IR < 4 defaults) become plain constants, as the lowering compiles them in and the artifact does not
 * take them; sequence and optional inputs are flattened into tensors per their signature; tensor inputs
 * with a signature get its dims (fixing symbolic ones). Returns the flattened inputs' records.
 */
export function fixInputs(
  model: Model,
  signatures: ReadonlyMap<string, InputSignature> = new Map(),
): StructuredValue[] {
  const g = model.graph;
  g.inputs = g.inputs.filter((v) => !g.initializers.has(v.name));
  for (const name of signatures.keys())
    if (!g.inputs.some((v) => v.name === name))
      throw new KilnError(
        `cannot fix the signature of '${name}': the model has no graph input of that name`,
        {
          expected: `one of ${g.inputs.map((v) => `'${v.name}'`).join(', ')}`,
        },
      );
  const taken = new Set([
    ...g.inputs.map((v) => v.name),
    ...g.initializers.keys(),
    ...g.nodes.flatMap((n) => n.outputs),
  ]);
  const fresh = (name: string) => {
    if (taken.has(name))
      throw new KilnError(
        `cannot flatten a graph input into '${name}': the model already has a value of that name`,
      );
    taken.add(name);
    return name;
  };
  const records: StructuredValue[] = [];
  const inputs: ValueInfo[] = [];
  const nodes: Node[] = [];
  g.inputs.forEach((v, index) => {
    const sig = signatures.get(v.name);
    if (
      v.kind !== 'sequence' &&
      v.kind !== 'optional' &&
      sig?.kind !== 'sequence' &&
      sig?.kind !== 'optional'
    ) {
      if (sig) fixTensorDims(v, sig);
      inputs.push(v);
      return;
    }
    if (!sig || (v.kind && sig.kind !== v.kind))
      throw new KilnError(
        `input '${v.name}' is a ${v.kind ?? sig!.kind}${sig ? ` but its signature is ${describeSignature(sig)}` : ''}`,
        {
          expected:
            `a signature fixing its ${v.kind === 'optional' ? 'presence and element dims' : 'length and element dims'} ` +
            `(a shape-specialised artifact flattens it into tensors: kiln compile --signature, or the signatures option of compileWasm/compileWebGpu)`,
        },
      );
    const tensor = (name: string, dtype: DType, shape: number[]) => {
      inputs.push({ name: fresh(name), kind: 'tensor', type: { dtype, shape: [...shape] } });
      return name;
    };
    const sequence = (s: SequenceSignature, base: string, out: string) => {
      const elems = s.shapes.map((shape, i) => tensor(elementName(base, i), s.dtype, shape));
      nodes.push(
        elems.length
          ? node('SequenceConstruct', elems, out)
          : node('SequenceEmpty', [], out, { dtype: { type: 'int', value: dtypeToOnnx(s.dtype) } }),
      );
      return elems;
    };
    if (sig.kind === 'sequence') {
      const tensors = sequence(sig, v.name, v.name);
      records.push({ name: v.name, kind: 'sequence', dtype: sig.dtype, index, tensors });
      return;
    }
    const held = (sig as OptionalSignature).value;
    const dtype = held?.dtype ?? (sig as OptionalSignature).dtype;
    let tensors: string[] = [];
    if (!held)
      nodes.push(
        node('Optional', [], v.name, {
          type: {
            type: 'type_proto',
            value: { name: '', kind: 'tensor', ...(dtype ? { type: { dtype } } : {}) },
          },
        }),
      );
    else if (held.kind === 'tensor') {
      tensors = [tensor(optionalValueName(v.name), held.dtype, held.shape)];
      nodes.push(node('Optional', tensors, v.name));
    } else {
      const inner = fresh(`${v.name}__sequence`);
      tensors = sequence(held, v.name, inner);
      nodes.push(node('Optional', [inner], v.name));
    }
    records.push({
      name: v.name,
      kind: 'optional',
      holds: held?.kind ?? 'none',
      ...(dtype ? { dtype } : {}),
      index,
      tensors,
    });
  });
  g.inputs = inputs;
  g.nodes.unshift(...nodes);
  return records;
}

function fixTensorDims(v: ValueInfo, sig: InputSignature): void {
  if (sig.kind !== 'tensor') return;
  const declared = v.type;
  const fits =
    (!declared || declared.dtype === sig.dtype) &&
    (!declared?.shape ||
      (declared.shape.length === sig.shape.length &&
        declared.shape.every((d, i) => typeof d === 'string' || d === sig.shape[i])));
  if (!fits)
    throw new KilnError(
      `input '${v.name}' is declared ${declared!.dtype}[${declared!.shape?.join(',') ?? '…'}]`,
      {
        expected: `a signature it fits (got ${describeSignature(sig)})`,
      },
    );
  v.type = { dtype: sig.dtype, shape: [...sig.shape] };
}

function node(op: string, inputs: string[], output: string, attrs: Node['attrs'] = {}): Node {
  return { name: `${output}__${op}`, op, domain: '', inputs, outputs: [output], attrs };
}

/**
 * After the passes: each graph output that is a sequence or optional, in the canonical form the
 * sequence pass leaves (SequenceConstruct/SequenceEmpty, inside an Optional for optionals), becomes
 * tensor outputs `y[0]`, `y[1]` (`y?` for an optional tensor). A sequence output the passes could not
 * resolve is a KilnError saying why. Returns the flattened outputs' records.
 */
export function flattenOutputs(model: Model): StructuredValue[] {
  const g = model.graph;
  const producer = (v: string | undefined) => (v ? g.nodes.find((n) => n.outputs.includes(v)) : undefined);
  const taken = new Set([
    ...g.inputs.map((v) => v.name),
    ...g.initializers.keys(),
    ...g.nodes.flatMap((n) => n.outputs),
  ]);
  const types = inferShapes(model).types;
  const records: StructuredValue[] = [];
  const outputs: ValueInfo[] = [];
  const emptied: Node[] = [];
  g.outputs.forEach((o, index) => {
    const p = producer(o.name);
    const elements = (n: Node | undefined) =>
      n?.op === 'SequenceConstruct' ? n.inputs : n?.op === 'SequenceEmpty' ? [] : undefined;
    let record: Omit<StructuredValue, 'tensors'> | undefined;
    let sources: string[] = [];
    let names: (i: number) => string = (i) => elementName(o.name, i);
    const seq = elements(p);
    if (seq) {
      record = { name: o.name, kind: 'sequence', index };
      sources = seq;
      emptied.push(p!);
    } else if (p?.op === 'Optional') {
      const inner = elements(producer(p.inputs[0]));
      sources = !p.inputs[0] ? [] : (inner ?? [p.inputs[0]]);
      const holds = !p.inputs[0] ? 'none' : inner ? 'sequence' : 'tensor';
      if (holds === 'tensor') names = () => optionalValueName(o.name);
      record = { name: o.name, kind: 'optional', holds, index };
      emptied.push(p);
    } else if (o.kind === 'sequence' || o.kind === 'optional') {
      const why = p ? notUnrolledReason(p) : undefined;
      throw new KilnError(
        `output '${o.name}' is a ${o.kind} the compiler could not resolve${why ? `: ${why}` : ''}`,
        {
          ...(p ? { node: p.name, op: p.op } : {}),
          expected:
            'a sequence of static length and element shapes, or an optional whose presence is known at compile time',
        },
      );
    } else {
      outputs.push(o);
      return;
    }
    const dtype = sources.map((s) => types.get(s)?.dtype).find((d) => d) ?? dtypeOfEmpty(p!);
    const tensors = sources.map((s, i) => {
      const name = names(i);
      if (taken.has(name))
        throw new KilnError(
          `cannot flatten output '${o.name}' into '${name}': the model already has a value of that name`,
        );
      taken.add(name);
      g.nodes.push({
        name: `${name}__Identity`,
        op: 'Identity',
        domain: '',
        inputs: [s],
        outputs: [name],
        attrs: {},
      });
      const t = types.get(s);
      outputs.push({ name, kind: 'tensor', ...(t ? { type: t } : {}) });
      return name;
    });
    records.push({ ...record, ...(dtype ? { dtype } : {}), tensors });
  });
  if (records.length && outputs.length === 0)
    throw new KilnError('every output of the model is an empty sequence or an absent optional', {
      expected: 'at least one tensor among the outputs (an artifact has at least one)',
    });
  g.outputs = outputs;
  removeUnread(g, emptied);
  return records;
}

/** The element dtype an empty sequence or absent optional declares (SequenceEmpty's dtype, Optional's type). */
function dtypeOfEmpty(n: Node): DType | undefined {
  const type = n.attrs['type'];
  if (type?.type === 'type_proto') return type.value.type?.dtype;
  const code = n.attrs['dtype'];
  if (code?.type === 'int') return dtypeFromOnnx(code.value);
  return n.op === 'SequenceEmpty' ? 'float32' : undefined;
}

/** Remove the flattened outputs' old producers (and Optional's inner sequence) once nothing reads them. */
function removeUnread(g: Graph, nodes: Node[]): void {
  const outs = new Set(g.outputs.map((o) => o.name));
  for (let again = true; again;) {
    again = false;
    for (const n of [...nodes]) {
      const read = n.outputs.some((o) => outs.has(o) || g.nodes.some((m) => m.inputs.includes(o)));
      if (read || !g.nodes.includes(n)) continue;
      g.nodes.splice(g.nodes.indexOf(n), 1);
      const inner =
        n.op === 'Optional' ? g.nodes.find((m) => m.outputs.includes(n.inputs[0] ?? '')) : undefined;
      if (inner) nodes.push(inner);
      again = true;
    }
  }
}
