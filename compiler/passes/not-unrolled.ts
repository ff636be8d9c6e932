/**
 * Why an unrolling pass left a node as it was (a run-time trip count, a computed condition, ...), so
 * that the lowering's "cannot be lowered" error can say what would make it static instead of only
 * naming the op.
 */
import type { Node } from '../ir/graph.js';

const reasons = new WeakMap<Node, string>();

export function markNotUnrolled(node: Node, reason: string): void {
  reasons.set(node, reason);
}

export function notUnrolledReason(node: Node): string | undefined {
  return reasons.get(node);
}
