/**
 * Sequences of statically known length resolved at compile time: SequenceEmpty, SequenceConstruct,
 * SequenceInsert, SequenceErase and SplitToSequence (of a static shape) are followed as lists of
 * tensor values, so SequenceAt becomes an Identity of the element, SequenceLength a constant and
 * ConcatFromSequence a Concat (with Unsqueezes for new_axis). Positions must be constants (or bound
 * inputs). Sequence nodes left without readers are removed; a sequence that crosses a graph boundary
 * (graph input or output, a Loop, an If branch, SequenceMap ...) keeps its nodes, which the targets
 * then refuse.
 */
import { scalar, toNumbers } from '../../runtime/tensor.js';
import { attrInt, attrIntOpt } from '../ir/attrs.js';
import type { Graph, Model, Node, TypeInfo } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import { topoOrder } from '../ir/topo.js';
import { NameGen, consumers, constantOf, graphOutputNames, removeNode, replaceNode } from './graph-utils.js';
import { NodeEmitter } from './node-emitter.js';
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

/** An element of a followed sequence: its value name and, when known, its static shape. */
interface Element {
  name: string;
  shape?: number[];
}

export function resolveSequences(model: Model): PassResult {
  const g = model.graph;
  if (!g.nodes.some((n) => n.domain === '' && (PRODUCERS.has(n.op) || n.op === 'Identity')))
    return { changed: 0 };
  const { types } = inferShapes(model);
  const names = new NameGen(g);
  const seqs = new Map<string, Element[]>();
  let changed = 0;
  for (const node of topoOrder(g)) {
    if (node.domain !== '') continue;
    const em = new NodeEmitter(g, model, node.name || node.op, names);
    const done = follow(em, g, node, seqs, types);
    if (done === 'replaced') {
      replaceNode(g, node, ...em.nodes);
      changed++;
    } else if (done === 'followed') {
      // the node stays until nothing reads its sequence; its Slice pieces go before it
      const at = g.nodes.indexOf(node);
      g.nodes.splice(at, 0, ...em.nodes);
    } else if (typeof done === 'string') markNotUnrolled(node, done);
  }
  if (changed) removeUnreadSequenceNodes(g);
  explainRemainingSequences(g);
  return { changed };
}

/** Give the sequence nodes that stay a reason, so the lowering's error says why they do. */
function explainRemainingSequences(g: Graph): void {
  const outs = graphOutputNames(g);
  for (const n of g.nodes) {
    if (n.domain !== '' || !PRODUCERS.has(n.op) || notUnrolledReason(n)) continue;
    markNotUnrolled(
      n,
      n.outputs.some((o) => outs.has(o))
        ? 'its sequence is a graph output (sequences are resolved at compile time, inside the graph only)'
        : 'its sequence is read where its length or positions are not known at compile time, or crosses into a subgraph',
    );
  }
}

/**
 * Follow one node: 'followed' (its output sequence is now known), 'replaced' (a reader rewritten to
 * tensor ops), undefined (nothing to do) or why a sequence op could not be resolved.
 */
function follow(
  em: NodeEmitter,
  g: Graph,
  node: Node,
  seqs: Map<string, Element[]>,
  types: Map<string, TypeInfo>,
): 'followed' | 'replaced' | string | undefined {
  const [first, second] = node.inputs;
  const out = node.outputs[0];
  const seq = first ? seqs.get(first) : undefined;
  const shapeOf = (v: string) => {
    const s = types.get(v)?.shape;
    return s?.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
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
    case 'SequenceEmpty':
      seqs.set(out!, []);
      return 'followed';
    case 'SequenceConstruct':
      seqs.set(
        out!,
        node.inputs.map((name) => ({ name, shape: shapeOf(name) })),
      );
      return 'followed';
    case 'Identity':
      if (!seq) return undefined;
      seqs.set(out!, seq);
      return 'followed';
    case 'SequenceInsert': {
      if (!seq) return undefined;
      const p = position(node.inputs[2], seq.length, true, seq.length);
      if (typeof p === 'string') return p;
      const next = [...seq];
      next.splice(p, 0, { name: second!, shape: shapeOf(second!) });
      seqs.set(out!, next);
      return 'followed';
    }
    case 'SequenceErase': {
      if (!seq) return undefined;
      if (!seq.length) return 'erasing from an empty sequence';
      const p = position(second, seq.length, false, seq.length - 1);
      if (typeof p === 'string') return p;
      seqs.set(
        out!,
        seq.filter((_, i) => i !== p),
      );
      return 'followed';
    }
    case 'SplitToSequence': {
      const pieces = splitPieces(em, g, node, shapeOf(first!));
      if (typeof pieces === 'string') return pieces;
      seqs.set(out!, pieces);
      return 'followed';
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
        !(PRODUCERS.has(n.op) || n.op === 'Identity' || n.op === 'Slice' || n.op === 'Squeeze')
      )
        continue;
      if (n.outputs.some((o) => o && (outs.has(o) || readers.get(o)?.length))) continue;
      removeNode(g, n);
      again = true;
    }
  }
}
