import { KilnError } from '../../runtime/errors.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { Attribute, AttributeType, Graph, Node } from './graph.js';

type ValueOf<T extends AttributeType> = Extract<Attribute, { type: T }>['value'];

/** Typed attribute access with a clear error naming the node when a required attribute is missing. */
function read<T extends AttributeType>(node: Node, name: string, type: T): ValueOf<T> | undefined {
  const a: { type: string; value: unknown } | undefined = node.attrs[name];
  return check(node, name, type, a) as ValueOf<T> | undefined;
}

function check(
  node: Node,
  name: string,
  type: AttributeType,
  a: { type: string; value: unknown } | undefined,
): unknown {
  if (a === undefined) return undefined;
  if (a.type !== type) {
    throw new KilnError(`attribute '${name}' has type ${a.type}`, {
      node: node.name,
      op: node.op,
      expected: type,
    });
  }
  return a.value;
}

function required<T>(node: Node, name: string, v: T | undefined, what: string): T {
  if (v === undefined) {
    throw new KilnError(`missing required attribute '${name}'`, {
      node: node.name,
      op: node.op,
      expected: what,
    });
  }
  return v;
}

export function attrInt(node: Node, name: string, dflt?: number): number {
  return required(node, name, read(node, name, 'int') ?? dflt, 'int');
}
export function attrFloat(node: Node, name: string, dflt?: number): number {
  return required(node, name, read(node, name, 'float') ?? dflt, 'float');
}
export function attrString(node: Node, name: string, dflt?: string): string {
  return required(node, name, read(node, name, 'string') ?? dflt, 'string');
}
export function attrInts(node: Node, name: string, dflt?: number[]): number[] {
  return required(node, name, read(node, name, 'ints') ?? dflt, 'ints');
}
export function attrFloats(node: Node, name: string, dflt?: number[]): number[] {
  return required(node, name, read(node, name, 'floats') ?? dflt, 'floats');
}
export function attrStrings(node: Node, name: string, dflt?: string[]): string[] {
  return required(node, name, read(node, name, 'strings') ?? dflt, 'strings');
}
export function attrTensor(node: Node, name: string): Tensor | undefined {
  return read(node, name, 'tensor');
}
export function attrGraph(node: Node, name: string): Graph {
  return required(node, name, read(node, name, 'graph'), 'graph');
}
/** Optional lookups that return undefined rather than a default. */
export function attrIntsOpt(node: Node, name: string): number[] | undefined {
  return read(node, name, 'ints');
}
export function attrIntOpt(node: Node, name: string): number | undefined {
  return read(node, name, 'int');
}
export function attrFloatOpt(node: Node, name: string): number | undefined {
  return read(node, name, 'float');
}
export function hasAttr(node: Node, name: string): boolean {
  return node.attrs[name] !== undefined;
}
