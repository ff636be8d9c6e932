/** Small graph builders for tests: five-node graphs written as data. */
import type { Attribute, Graph, Model, Node, ValueInfo } from '../../compiler/ir/graph.js';
import type { DType } from '../../runtime/dtype.js';
import type { Tensor } from '../../runtime/tensor.js';

export function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, Attribute> = {},
  name?: string,
): Node {
  return { name: name ?? `${op}_${outputs[0] ?? ''}`, op, domain: '', inputs, outputs, attrs };
}

export function value(name: string, dtype: DType, shape?: (number | string)[]): ValueInfo {
  return { name, kind: 'tensor', type: { dtype, ...(shape ? { shape } : {}) } };
}

export function graph(parts: {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: Node[];
  initializers?: Record<string, Tensor>;
  name?: string;
}): Graph {
  return {
    name: parts.name ?? 'test',
    inputs: parts.inputs,
    outputs: parts.outputs,
    nodes: parts.nodes,
    initializers: new Map(Object.entries(parts.initializers ?? {})),
    valueInfo: new Map(),
  };
}

export function model(g: Graph, opset = 17): Model {
  return {
    irVersion: 8,
    opsetImports: new Map([['', opset]]),
    producerName: 'kiln-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    functions: [],
    graph: g,
  };
}

export const ints = (value: number[]): Attribute => ({ type: 'ints', value });
export const int = (value: number): Attribute => ({ type: 'int', value });
