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

/**
 * Why `def` cannot run a node at the model's opset: the model imports an opset older than the first
 * version whose semantics we implement, or newer than the last one we know.
 */
export function opsetMismatch(def: OpDef, opset: number): string | undefined {
  const [from, to] = def.versions;
  if (opset < from)
    return `opset ${opset} semantics of ${def.op} are not implemented (supported: ${from}-${to})`;
  if (opset > to) return `${def.op} at opset ${opset} is newer than the versions implemented (${from}-${to})`;
  return undefined;
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
  const mismatch = opsetMismatch(def, opset);
  if (mismatch) {
    throw new KilnError(mismatch, {
      node: node.name,
      op: opName,
      expected: `opset ${def.versions[0]}-${def.versions[1]}`,
    });
  }
  return def;
}

export function registeredOps(): OpDef[] {
  return [...REGISTRY.values()];
}
