import { attrInt, attrIntsOpt } from '../ir/attrs.js';
import type { Dim, Graph, Model, Node, TypeInfo } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import { dtypeFromOnnx } from '../../runtime/dtype.js';
import type { PassResult } from './pass.js';
import { bypassNode, consumers, constantOf, graphOutputNames, producers } from './graph-utils.js';

/**
 * Removes nodes that compute nothing: Identity, inference-mode Dropout, Reshape/Flatten/Squeeze/
 * Unsqueeze/Expand whose output shape equals the input's (static shapes only), Cast to the input's
 * dtype, Pad with all-zero pads, identity Transposes; consecutive Transposes become one. Graph output
 * names never change (see bypassNode). `changed`: nodes removed or merged.
 */
export function removeNoOps(model: Model): PassResult {
  const g = model.graph;
  let changed = 0;
  // One rewrite can expose another (a merged Transpose pair becomes an identity): repeat to a fixpoint.
  for (let round = 0; round < 8; round++) {
    const { types } = inferShapes(model);
    const n = removeOnce(g, types);
    changed += n;
    if (n === 0) break;
  }
  return { changed };
}

function removeOnce(g: Graph, types: Map<string, TypeInfo>): number {
  let changed = 0;
  for (const node of [...g.nodes]) {
    if (node.domain !== '' || !g.nodes.includes(node)) continue;
    if (node.op === 'Transpose' && mergeTransposes(g, node, types)) {
      changed++;
      continue;
    }
    const input = node.inputs[0];
    const output = node.outputs[0];
    if (!input || !output || !isNoOp(g, node, types)) continue;
    if (bypassNode(g, node, input, output)) changed++;
  }
  return changed;
}

function isNoOp(g: Graph, node: Node, types: Map<string, TypeInfo>): boolean {
  const x = types.get(node.inputs[0]!);
  const y = types.get(node.outputs[0]!);
  switch (node.op) {
    case 'Identity':
      return true;
    case 'Dropout':
      return dropoutIsIdentity(g, node);
    case 'Reshape':
    case 'Flatten':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Expand':
      return sameStaticShape(x?.shape, y?.shape) && x?.dtype === y?.dtype;
    case 'Cast':
      return x !== undefined && dtypeFromOnnx(attrInt(node, 'to')) === x.dtype;
    case 'Pad':
      return padsAreZero(g, node);
    case 'Transpose': {
      const perm = transposePerm(node, x?.shape?.length);
      return perm !== undefined && perm.every((p, i) => p === i);
    }
    default:
      return false;
  }
}

function sameStaticShape(a: Dim[] | undefined, b: Dim[] | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((d, i) => typeof d === 'number' && d === b[i]);
}

/** Dropout is the identity when training_mode is absent or constant false and its mask is unused. */
function dropoutIsIdentity(g: Graph, node: Node): boolean {
  const mask = node.outputs[1];
  if (mask && (consumers(g).has(mask) || graphOutputNames(g).has(mask))) return false;
  if (node.attrs.is_test && attrInt(node, 'is_test') === 0) return false; // opset < 7 training flag
  const training = node.inputs[2];
  if (!training) return true;
  const t = constantOf(g, training);
  return t !== undefined && t.size === 1 && !Number((t.data as ArrayLike<number>)[0]);
}

function padsAreZero(g: Graph, node: Node): boolean {
  const attrPads = attrIntsOpt(node, 'pads');
  if (attrPads) return attrPads.every((p) => p === 0);
  const t = node.inputs[1] ? constantOf(g, node.inputs[1]) : undefined;
  return t !== undefined && Array.from(t.data as ArrayLike<number | bigint>).every((p) => Number(p) === 0);
}

/** The permutation of a Transpose (default: reverse the axes, which needs the rank). */
function transposePerm(node: Node, rank: number | undefined): number[] | undefined {
  const perm = attrIntsOpt(node, 'perm');
  if (perm) return perm;
  if (rank === undefined) return undefined;
  return Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

/** Transpose(Transpose(x, p1), p2) = Transpose(x, p1[p2[i]]): read x directly with the composition. */
function mergeTransposes(g: Graph, node: Node, types: Map<string, TypeInfo>): boolean {
  const first = producers(g).get(node.inputs[0]!);
  if (!first || first.op !== 'Transpose' || first.domain !== '') return false;
  const rank = types.get(first.inputs[0]!)?.shape?.length;
  const p1 = transposePerm(first, rank);
  const p2 = transposePerm(node, rank);
  if (!p1 || !p2 || p1.length !== p2.length) return false;
  node.inputs = [first.inputs[0]!];
  node.attrs = { ...node.attrs, perm: { type: 'ints', value: p2.map((i) => p1[i]!) } };
  return true;
}
