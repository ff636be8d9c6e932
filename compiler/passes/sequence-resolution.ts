/**
 * Sequences of statically known length resolved at compile time: SequenceEmpty, SequenceConstruct,
 * SequenceInsert, SequenceErase and SplitToSequence (of a static shape) are followed as lists of
 * tensor values, so SequenceAt becomes an Identity of the element, SequenceLength a constant and
 * ConcatFromSequence a Concat (with Unsqueezes for new_axis); SequenceMap over followed sequences is
 * inlined once per element. Optionals are followed alike (Optional, OptionalGetElement): whether one
 * holds a value is then a constant (OptionalHasElement). Positions must be constants (or bound
 * inputs). Sequence nodes left without readers are removed. A followed sequence or optional that is a
 * graph output ends as one SequenceConstruct/SequenceEmpty (inside an Optional) of its elements, the
 * form the targets flatten into tensor outputs (compiler/structured-io.ts); a sequence that crosses
 * into a Loop or If body keeps its nodes, which the targets then refuse.
 */
import { scalar, toNumbers } from '../../runtime/tensor.js';
import { attrInt, attrIntOpt } from '../ir/attrs.js';
import type { Graph, Model, Node, TypeInfo } from '../ir/graph.js';
import { type DType, dtypeFromOnnx, dtypeToOnnx } from '../../runtime/dtype.js';
import { inferShapes } from '../ir/infer.js';
import { topoOrder } from '../ir/topo.js';
import { NameGen, consumers, constantOf, graphOutputNames, removeNode, replaceNode } from './graph-utils.js';
import { NodeEmitter, intAttr } from './node-emitter.js';
import { inlineSubgraph } from './subgraph-inlining.js';
import { markNotUnrolled, notUnrolledReason } from './not-unrolled.js';
import type { PassResult } from './pass.js';

/** Ops producing a sequence this pass can follow. */
const PRODUCERS = new Set([
  'SequenceEmpty',
  'SequenceConstruct',
  'SequenceInsert',
  'SequenceErase',
  'SplitToSequence',
]);

/** Ops reading a followed sequence or optional that this pass rewrites or follows through. */
const FOLLOWERS = new Set([
  'Identity',
  'SequenceMap',
  'Optional',
  'OptionalHasElement',
  'OptionalGetElement',
]);

/** An element of a followed sequence: its value name and, when known, its static shape. */
interface Element {
  name: string;
  shape?: number[];
}

/** What a followed optional holds. */
type Held = { kind: 'absent' } | { kind: 'tensor'; name: string } | { kind: 'sequence'; elems: Element[] };

/** The followed sequences and optionals, by value name. */
interface Followed {
  seqs: Map<string, Element[]>;
  opts: Map<string, Held>;
  /** Element dtypes where known (an empty sequence or absent optional keeps its type). */
  dtypes: Map<string, DType>;
}

export function resolveSequences(model: Model): PassResult {
  const g = model.graph;
  if (!g.nodes.some((n) => n.domain === '' && (PRODUCERS.has(n.op) || FOLLOWERS.has(n.op))))
    return { changed: 0 };
  const { types } = inferShapes(model);
  const names = new NameGen(g);
  const followed: Followed = { seqs: new Map(), opts: new Map(), dtypes: new Map() };
  let changed = 0;
  for (const node of topoOrder(g)) {
    if (node.domain !== '') continue;
    const em = new NodeEmitter(g, model, node.name || node.op, names);
    const done = follow(em, g, node, followed, types);
    if (done === 'replaced') {
      replaceNode(g, node, ...em.nodes);
      changed++;
    } else if (done === 'followed') {
      // the node stays until nothing reads its sequence; its Slice pieces go before it
      const at = g.nodes.indexOf(node);
      g.nodes.splice(at, 0, ...em.nodes);
    } else if (typeof done === 'string') markNotUnrolled(node, done);
  }
  changed += canonicalOutputs(model, names, followed);
  if (changed) removeUnreadSequenceNodes(g);
  explainRemainingSequences(g);
  return { changed };
}

/**
 * Give each followed sequence or optional that is a graph output one canonical producer:
 * SequenceConstruct of its elements (SequenceEmpty when it has none), inside an Optional for an
 * optional (Optional() with its type when absent). The targets flatten exactly these forms.
 */
function canonicalOutputs(model: Model, names: NameGen, f: Followed): number {
  const g = model.graph;
  let changed = 0;
  for (const o of g.outputs) {
    const seq = f.seqs.get(o.name);
    const held = f.opts.get(o.name);
    if (!seq && !held) continue;
    const producer = g.nodes.find((n) => n.outputs.includes(o.name));
    if (producer && isCanonical(g, producer, seq, held)) continue;
    const em = new NodeEmitter(g, model, o.name, names);
    const dtype = f.dtypes.get(o.name);
    const construct = (elems: Element[], out?: string) =>
      elems.length
        ? em.op(
            'SequenceConstruct',
            elems.map((e) => e.name),
            {},
            out,
          )
        : em.op('SequenceEmpty', [], dtype ? { dtype: intAttr(dtypeToOnnx(dtype)) } : {}, out);
    // the old producer keeps computing under a fresh name until nothing reads it
    const old = names.fresh(`${o.name}_unflattened`);
    if (producer) producer.outputs = producer.outputs.map((v) => (v === o.name ? old : v));
    for (const n of g.nodes) n.inputs = n.inputs.map((v) => (v === o.name ? old : v));
    if (seq) construct(seq, o.name);
    else if (held!.kind === 'absent')
      em.op('Optional', [], { type: { type: 'type_proto', value: absentType(dtype) } }, o.name);
    else em.op('Optional', [held!.kind === 'tensor' ? held!.name : construct(held!.elems)], {}, o.name);
    g.nodes.push(...em.nodes);
    changed++;
  }
  return changed;
}

function isCanonical(g: Graph, producer: Node, seq: Element[] | undefined, held: Held | undefined): boolean {
  const sameSeq = (n: Node | undefined, elems: Element[]) =>
    n !== undefined &&
    ((n.op === 'SequenceConstruct' &&
      n.inputs.length === elems.length &&
      n.inputs.every((v, i) => v === elems[i]!.name)) ||
      (n.op === 'SequenceEmpty' && elems.length === 0));
  if (seq) return sameSeq(producer, seq);
  if (producer.op !== 'Optional') return false;
  const x = producer.inputs[0];
  if (held!.kind === 'absent') return !x;
  if (held!.kind === 'tensor') return x === held!.name;
  return sameSeq(
    g.nodes.find((n) => n.outputs.includes(x!)),
    held!.elems,
  );
}

/** The `type` attribute of an absent Optional: a tensor of the element dtype when known. */
function absentType(dtype: DType | undefined) {
  return { name: '', kind: 'tensor' as const, ...(dtype ? { type: { dtype } } : {}) };
}

/** Give the sequence nodes that stay a reason, so the lowering's error says why they do. */
function explainRemainingSequences(g: Graph): void {
  const outs = graphOutputNames(g);
  for (const n of g.nodes) {
    if (n.domain !== '' || !PRODUCERS.has(n.op) || notUnrolledReason(n)) continue;
    // a graph output's canonical form (canonicalOutputs): the targets flatten it into tensors
    if ((n.op === 'SequenceConstruct' || n.op === 'SequenceEmpty') && outs.has(n.outputs[0]!)) continue;
    markNotUnrolled(
      n,
      n.outputs.some((o) => outs.has(o))
        ? 'its sequence is a graph output whose elements are not known at compile time'
        : 'its sequence is read where its length or positions are not known at compile time, or crosses into a subgraph',
    );
  }
}

/**
 * Follow one node: 'followed' (its output sequence or optional is now known), 'replaced' (a reader
 * rewritten to tensor ops), undefined (nothing to do) or why a sequence op could not be resolved.
 */
function follow(
  em: NodeEmitter,
  g: Graph,
  node: Node,
  f: Followed,
  types: Map<string, TypeInfo>,
): 'followed' | 'replaced' | string | undefined {
  const { seqs, opts, dtypes } = f;
  const [first, second] = node.inputs;
  const out = node.outputs[0];
  const seq = first ? seqs.get(first) : undefined;
  const held = first ? opts.get(first) : undefined;
  const shapeOf = (v: string) => {
    const s = types.get(v)?.shape;
    return s?.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
  };
  /** A plain tensor value (typed by inference; sequences and optionals are not). */
  const isTensor = (v: string) => types.get(v)?.dtype !== undefined && !seqs.has(v) && !opts.has(v);
  const followSeq = (elems: Element[], dtype: DType | undefined) => {
    seqs.set(out!, elems);
    const d = dtype ?? (elems[0] ? types.get(elems[0].name)?.dtype : undefined);
    if (d) dtypes.set(out!, d);
    return 'followed' as const;
  };
  const position = (
    name: string | undefined,
    n: number,
    allowEnd: boolean,
    dflt: number,
  ): number | string => {
    if (!name) return dflt;
    const t = constantOf(g, name);
    if (!t)
      return `its position is computed at run time (bind the graph input deciding it, e.g. kiln compile --bind)`;
    const p = Number(toNumbers(t)[0]);
    const max = allowEnd ? n : n - 1;
    if (p < -n || p > max) return `position ${p} is outside a sequence of ${n}`;
    return p < 0 ? p + n : p;
  };
  switch (node.op) {
    case 'SequenceEmpty': {
      const code = attrIntOpt(node, 'dtype');
      return followSeq([], code === undefined ? 'float32' : dtypeFromOnnx(code));
    }
    case 'SequenceConstruct':
      return followSeq(
        node.inputs.map((name) => ({ name, shape: shapeOf(name) })),
        undefined,
      );
    case 'Identity':
      if (held) {
        opts.set(out!, held);
        if (dtypes.has(first!)) dtypes.set(out!, dtypes.get(first!)!);
        return 'followed';
      }
      if (!seq) return undefined;
      return followSeq(seq, dtypes.get(first!));
    case 'SequenceInsert': {
      if (!seq) return undefined;
      const p = position(node.inputs[2], seq.length, true, seq.length);
      if (typeof p === 'string') return p;
      const next = [...seq];
      next.splice(p, 0, { name: second!, shape: shapeOf(second!) });
      return followSeq(next, dtypes.get(first!) ?? types.get(second!)?.dtype);
    }
    case 'SequenceErase': {
      if (!seq) return undefined;
      if (!seq.length) return 'erasing from an empty sequence';
      const p = position(second, seq.length, false, seq.length - 1);
      if (typeof p === 'string') return p;
      return followSeq(
        seq.filter((_, i) => i !== p),
        dtypes.get(first!),
      );
    }
    case 'SplitToSequence': {
      const pieces = splitPieces(em, g, node, shapeOf(first!));
      if (typeof pieces === 'string') return pieces;
      return followSeq(pieces, types.get(first!)?.dtype);
    }
    case 'SequenceAt': {
      if (!seq) return undefined;
      const p = position(second, seq.length, false, 0);
      if (typeof p === 'string') return p;
      em.op('Identity', [seq[p]!.name], {}, out);
      return 'replaced';
    }
    case 'SequenceLength': {
      if (!seq) return undefined;
      em.op('Identity', [em.constant(scalar('int64', BigInt(seq.length)), 'length')], {}, out);
      return 'replaced';
    }
    case 'SequenceMap':
      return mapSequences(em, node, f);
    case 'Optional': {
      if (!first) {
        opts.set(out!, { kind: 'absent' });
        const type = node.attrs['type'];
        const dtype = type?.type === 'type_proto' ? type.value.type?.dtype : undefined;
        if (dtype) dtypes.set(out!, dtype);
      } else if (seq) opts.set(out!, { kind: 'sequence', elems: seq });
      else if (isTensor(first)) opts.set(out!, { kind: 'tensor', name: first });
      else return undefined;
      const dtype = dtypes.get(first ?? '') ?? (first ? types.get(first)?.dtype : undefined);
      if (dtype) dtypes.set(out!, dtype);
      return 'followed';
    }
    case 'OptionalHasElement': {
      // from opset 18 a tensor or sequence counts as present and an omitted input as absent
      let present: boolean;
      if (!first) present = false;
      else if (held) present = held.kind !== 'absent';
      else if (seq || isTensor(first) || producedBySequenceOp(g, first)) present = true;
      else return undefined;
      em.op('Identity', [em.constant(scalar('bool', present), 'has_element')], {}, out);
      return 'replaced';
    }
    case 'OptionalGetElement': {
      const value: Held | undefined =
        held ??
        (seq
          ? { kind: 'sequence', elems: seq }
          : isTensor(first!)
            ? { kind: 'tensor', name: first! }
            : undefined);
      if (!value) return undefined;
      if (value.kind === 'absent') return 'the optional holds no value here (OptionalGetElement would fail)';
      if (value.kind === 'tensor') {
        em.op('Identity', [value.name], {}, out);
        return 'replaced';
      }
      return followSeq(value.elems, dtypes.get(first!));
    }
    case 'ConcatFromSequence': {
      if (!seq) return undefined;
      if (!seq.length) return 'concatenating an empty sequence';
      const rank = seq[0]!.shape?.length;
      const newAxis = attrInt(node, 'new_axis', 0) === 1;
      let axis = attrInt(node, 'axis');
      if (axis < 0) {
        if (rank === undefined) return 'a negative axis needs elements of known rank';
        axis += rank + (newAxis ? 1 : 0);
      }
      if (newAxis)
        em.stack(
          seq.map((e) => e.name),
          axis,
          out,
        );
      else
        em.concat(
          seq.map((e) => e.name),
          axis,
          out,
        );
      return 'replaced';
    }
    default:
      return undefined;
  }
}

const SEQUENCE_RESULTS = new Set([...PRODUCERS, 'SequenceMap']);

/** Whether `v` is the output of an op that always yields a sequence (never an empty optional). */
function producedBySequenceOp(g: Graph, v: string): boolean {
  const p = g.nodes.find((n) => n.outputs.includes(v));
  return p !== undefined && p.domain === '' && SEQUENCE_RESULTS.has(p.op);
}

/**
 * SequenceMap over followed sequences (the other inputs tensors): its body inlined once per element,
 * each output sequence the body's outputs in order.
 */
function mapSequences(em: NodeEmitter, node: Node, f: Followed): 'followed' | string | undefined {
  const body = node.attrs['body'];
  if (body?.type !== 'graph') return 'SequenceMap has no body';
  const inputs = node.inputs.map((v) => f.seqs.get(v) ?? v);
  const lengths = new Set(inputs.filter((v) => typeof v !== 'string').map((v) => v.length));
  if (typeof inputs[0] === 'string') return undefined; // its sequence is not followed (yet)
  if (lengths.size !== 1)
    return `SequenceMap's sequences have different lengths (${[...lengths].join(', ')})`;
  const n = (inputs[0] as Element[]).length;
  const results: Element[][] = node.outputs.map(() => []);
  for (let i = 0; i < n; i++) {
    const formal = new Map<string, string>();
    body.value.inputs.forEach((vi, k) => {
      const v = inputs[k];
      if (v !== undefined) formal.set(vi.name, typeof v === 'string' ? v : v[i]!.name);
    });
    const outs = inlineSubgraph(em, body.value, formal);
    outs.forEach((o, j) => results[j]!.push({ name: o }));
  }
  node.outputs.forEach((o, j) => {
    if (!o) return;
    f.seqs.set(o, results[j]!);
    const dtype = body.value.outputs[j]?.type?.dtype;
    if (dtype) f.dtypes.set(o, dtype);
  });
  return 'followed';
}

/** SplitToSequence's pieces as Slice (and, keepdims 0 without split, Squeeze) nodes. */
function splitPieces(em: NodeEmitter, g: Graph, node: Node, shape: number[] | undefined): Element[] | string {
  if (!shape) return 'SplitToSequence needs an input of static shape';
  const rank = shape.length;
  let axis = attrIntOpt(node, 'axis') ?? 0;
  if (axis < 0) axis += rank;
  const dim = shape[axis]!;
  const splitName = node.inputs[1];
  let sizes: number[];
  let squeeze = false;
  if (!splitName) {
    sizes = new Array<number>(dim).fill(1);
    squeeze = attrInt(node, 'keepdims', 1) === 0;
  } else {
    const t = constantOf(g, splitName);
    if (!t)
      return 'its split is computed at run time (bind the graph input deciding it, e.g. kiln compile --bind)';
    const v = toNumbers(t);
    if (t.rank === 0) {
      const n = v[0]!;
      if (n <= 0) return `split ${n} is not positive`;
      sizes = Array.from({ length: Math.ceil(dim / n) }, (_, i) => Math.min(n, dim - i * n));
    } else sizes = v;
    if (sizes.reduce((a, b) => a + b, 0) !== dim) return `split [${sizes.join(',')}] does not sum to ${dim}`;
  }
  let at = 0;
  return sizes.map((size) => {
    const piece = em.slice(node.inputs[0]!, axis, at, at + size);
    at += size;
    const pieceShape = shape.map((d, i) => (i === axis ? size : d));
    if (!squeeze) return { name: piece, shape: pieceShape };
    return { name: em.squeeze(piece, [axis]), shape: pieceShape.filter((_, i) => i !== axis) };
  });
}

/** Drop sequence nodes (and the pieces they were followed from) that nothing reads any more. */
function removeUnreadSequenceNodes(g: Graph): void {
  const outs = graphOutputNames(g);
  for (let again = true; again;) {
    again = false;
    const readers = consumers(g);
    for (const n of [...g.nodes]) {
      if (
        n.domain !== '' ||
        !(PRODUCERS.has(n.op) || FOLLOWERS.has(n.op) || n.op === 'Slice' || n.op === 'Squeeze')
      )
        continue;
      if (n.outputs.some((o) => o && (outs.has(o) || readers.get(o)?.length))) continue;
      removeNode(g, n);
      again = true;
    }
  }
}
