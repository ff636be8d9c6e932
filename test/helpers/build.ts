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

/**
 * A model of one node (inputs x0..xN, omitted ones left empty; outputs y0..yM) with its feeds, for
 * comparing a single op with onnxruntime-node.
 */
export function oneNodeModel(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute>,
  outputDtypes: (DType | undefined)[],
  opset: number,
  irVersion = 8,
): { model: Model; feeds: Record<string, Tensor>; outputs: string[] } {
  const outputs = outputDtypes.map((_, i) => `y${i}`);
  const g = graph({
    name: 'g',
    inputs: inputs.flatMap((t, i) => (t ? [value(`x${i}`, t.dtype, [...t.shape])] : [])),
    outputs: outputs.map((name, i) =>
      outputDtypes[i] ? { name, kind: 'tensor' as const, type: { dtype: outputDtypes[i]! } } : { name },
    ),
    nodes: [
      node(
        op,
        inputs.map((t, i) => (t ? `x${i}` : '')),
        outputs,
        attrs,
        'n',
      ),
    ],
  });
  const m = model(g, opset);
  m.irVersion = irVersion;
  const feeds: Record<string, Tensor> = {};
  inputs.forEach((t, i) => {
    if (t) feeds[`x${i}`] = t;
  });
  return { model: m, feeds, outputs };
}
