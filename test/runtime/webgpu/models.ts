/** Two small models for the webgpu runtime tests: A's output has B's input shape, so they chain. */
import { randomTensor, seededRandom } from '../../../runtime/prng.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { graph, model, node, value } from '../../helpers/build.js';

const seeded = (shape: number[], seed: number) => randomTensor('float32', shape, seededRandom(seed));

/** A: y = relu(x · W + b), x [2,16] → y [2,16] (a GEMM shader and its epilogue). */
export const modelA = () =>
  model(
    graph({
      inputs: [value('x', 'float32', [2, 16])],
      outputs: [value('y', 'float32', [2, 16])],
      initializers: {
        W: seeded([16, 16], 1),
        b: seeded([16], 2),
      },
      nodes: [node('MatMul', ['x', 'W'], ['h']), node('Add', ['h', 'b'], ['a']), node('Relu', ['a'], ['y'])],
    }),
  );

/** B: z = softmax(y · V), y [2,16] → z [2,8] (a GEMM and a loop-kernel reduction). */
export const modelB = () =>
  model(
    graph({
      inputs: [value('y', 'float32', [2, 16])],
      outputs: [value('z', 'float32', [2, 8])],
      initializers: { V: seeded([16, 8], 3) },
      nodes: [node('MatMul', ['y', 'V'], ['l']), node('Softmax', ['l'], ['z'])],
    }),
  );

export const inputA = () => seeded([2, 16], 4);

export const artifactOf = async (m: ReturnType<typeof model>) => webGpuArtifact(compileWebGpu(m));
