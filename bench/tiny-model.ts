import type { Model } from '../compiler/ir/graph.js';
import { exportModel } from '../compiler/onnx/export.js';

/** ONNX bytes of y = Relu(x), x: float32[1,4] — used to start an engine's runtime without a real model. */
export function tinyReluModel(): Uint8Array {
  const tensor = (name: string) => ({
    name,
    kind: 'tensor' as const,
    type: { dtype: 'float32' as const, shape: [1, 4] },
  });
  const model: Model = {
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
      name: 'tiny',
      inputs: [tensor('x')],
      outputs: [tensor('y')],
      nodes: [{ name: 'relu', op: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} }],
      initializers: new Map(),
      valueInfo: new Map(),
    },
  };
  return exportModel(model);
}
