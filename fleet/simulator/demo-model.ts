import type { Model } from '../../compiler/ir/graph.js';
import { exportModel } from '../../compiler/onnx/export.js';
import { tensorFrom } from '../../runtime/tensor.js';

/** The model the simulator publishes when it sets up its own versions. */
export const DEMO_MODEL = 'sim-model';
/** Its one input: float32 [1, CHANNELS], so telemetry keeps CHANNELS channels (axis 1). */
export const DEMO_INPUT = 'x';
export const DEMO_CHANNELS = 4;

/**
 * ONNX bytes of y = Relu(x · W) with x, y float32 [1, 4] and W = scale·I + 0.1 (every entry): small
 * enough that thousands of simulated devices can run it, and a different `scale` per version gives
 * each version its own artifact.
 */
export function demoOnnx(scale: number): Uint8Array {
  const c = DEMO_CHANNELS;
  const w: number[] = [];
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) w.push((i === j ? scale : 0) + 0.1);
  const tensor = (name: string) => ({
    name,
    kind: 'tensor' as const,
    type: { dtype: 'float32' as const, shape: [1, c] },
  });
  const model: Model = {
    irVersion: 8,
    opsetImports: new Map([['', 17]]),
    producerName: 'kiln-simulator',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    functions: [],
    graph: {
      name: 'sim',
      inputs: [tensor(DEMO_INPUT)],
      outputs: [tensor('y')],
      nodes: [
        { name: 'mm', op: 'MatMul', domain: '', inputs: [DEMO_INPUT, 'w'], outputs: ['h'], attrs: {} },
        { name: 'act', op: 'Relu', domain: '', inputs: ['h'], outputs: ['y'], attrs: {} },
      ],
      initializers: new Map([['w', tensorFrom('float32', [c, c], w)]]),
      valueInfo: new Map(),
    },
  };
  return exportModel(model);
}
