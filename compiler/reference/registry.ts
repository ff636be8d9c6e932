import { KilnError } from '../../runtime/errors.js';
import type { Node } from '../ir/graph.js';
import type { OpDef } from './op.js';
import { ALL_OPS } from './ops/index.js';

const key = (domain: string, op: string) => `${domain}::${op}`;

const REGISTRY = new Map<string, OpDef>();
for (const def of ALL_OPS) {
  const k = key(def.domain ?? '', def.op);
  if (REGISTRY.has(k)) throw new Error(`op ${k} registered twice`);
  REGISTRY.set(k, def);
}

export function findOp(domain: string, op: string): OpDef | undefined {
  return REGISTRY.get(key(domain, op));
}

/** The op definition for a node at the model's opset, or a KilnError that says what is supported. */
export function opFor(node: Node, opset: number): OpDef {
  const def = findOp(node.domain, node.op);
  const opName = node.domain ? `${node.domain}.${node.op}` : node.op;
  if (!def) {
    throw new KilnError(`op ${opName} is not supported by the reference backend`, {
      node: node.name,
      op: opName,
      expected: 'an op listed in docs/ops.md',
    });
  }
  return def;
}

export function isSupported(domain: string, op: string, opset?: number): boolean {
  const def = findOp(domain, op);
  if (!def) return false;
  return opset === undefined || opset >= def.versions[0] || def.versions[0] <= 1;
}

export function registeredOps(): OpDef[] {
  return [...REGISTRY.values()];
}
