import type { Model } from '../compiler/ir/graph.js';
import { exportModel } from '../compiler/onnx/export.js';
import type { Tensor } from '../runtime/tensor.js';

/** A model of one float32 node: what the benchmarks time or use to start an engine. */
export function oneNodeModel(spec: {
  op: string;
  inputs: Record<string, number[]>;
  outputs: Record<string, number[]>;
  initializers?: Record<string, Tensor>;
}): Model {
  const tensor = ([name, shape]: [string, number[]]) => ({
    name,
    kind: 'tensor' as const,
    type: { dtype: 'float32' as const, shape },
  });
  const initializers = new Map(Object.entries(spec.initializers ?? {}));
  return {
    irVersion: 8,
    opsetImports: new Map([['', 17]]),
    producerName: 'kiln-bench',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    functions: [],
    graph: {
      name: spec.op.toLowerCase(),
      inputs: Object.entries(spec.inputs).map(tensor),
      outputs: Object.entries(spec.outputs).map(tensor),
      nodes: [
        {
          name: spec.op.toLowerCase(),
          op: spec.op,
          domain: '',
          inputs: [...Object.keys(spec.inputs), ...initializers.keys()],
          outputs: Object.keys(spec.outputs),
          attrs: {},
        },
      ],
      initializers,
      valueInfo: new Map(),
    },
  };
}

/** ONNX bytes of y = Relu(x), x: float32[1,4] — used to start an engine's runtime without a real model. */
export function tinyReluModel(): Uint8Array {
  return exportModel(oneNodeModel({ op: 'Relu', inputs: { x: [1, 4] }, outputs: { y: [1, 4] } }));
}
