import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, int, model, node, value } from '../../helpers/build.js';

/**
 * GEMM and loop kernels, float/int64/bool inputs and float/int64 outputs, tanh and softmax: one small
 * model that exercises every kind of webgpu kernel and I/O word layout (self-test and fp16 tests).
 */
export const mixedModel = () =>
  model(
    graph({
      inputs: [value('x', 'float32', [10, 4]), value('idx', 'int64', [3]), value('m', 'bool', [3, 4])],
      outputs: [
        value('y', 'float32', [3, 5]),
        value('arg', 'int64', [3, 1]),
        value('sel', 'float32', [3, 4]),
      ],
      nodes: [
        node('Gather', ['x', 'idx'], ['g'], { axis: int(0) }),
        node('MatMul', ['g', 'w'], ['h']),
        node('Tanh', ['h'], ['t']),
        node('Softmax', ['t'], ['y'], { axis: int(1) }),
        node('ArgMax', ['h'], ['arg'], { axis: int(1) }),
        node('Where', ['m', 'g', 'zero'], ['sel']),
      ],
      initializers: {
        w: tensorFrom(
          'float32',
          [4, 5],
          Array.from({ length: 20 }, (_, i) => Math.sin(i + 1)),
        ),
        zero: tensorFrom('float32', [], [0]),
      },
    }),
  );
