import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { importModel } from '../../../compiler/onnx/import.js';
import { runPipeline } from '../../../compiler/passes/index.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, ints, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { PASS_TOLERANCE, ops, run } from './check.js';

describe('optimised models as ONNX files', () => {
  it('export and import again with their kiln ops and attributes intact', () => {
    const m = model(
      graph({
        inputs: [value('x', 'float32', [1, 3, 6, 6])],
        outputs: [value('y', 'float32')],
        initializers: {
          w: randomFloat32([4, 3, 3, 3], 2),
          lo: tensorFrom('float32', [], [-Infinity]),
          hi: tensorFrom('float32', [], [0.5]),
          two: tensorFrom('float32', [], [2]),
        },
        nodes: [
          node('Conv', ['x', 'w'], ['c'], { pads: ints([1, 1, 1, 1]) }),
          node('Relu', ['c'], ['r']),
          node('Mul', ['r', 'two'], ['m']),
          node('Clip', ['m', 'lo', 'hi'], ['y']),
        ],
      }),
    );
    runPipeline(m);
    expect(ops(m)).toEqual(['kiln.FusedConv', 'kiln.Elementwise']);
    const back = importModel(exportModel(m));
    expect(ops(back)).toEqual(['kiln.FusedConv', 'kiln.Elementwise']);
    expect(back.opsetImports.get('kiln')).toBe(1);
    expect(back.graph.nodes[0]!.attrs.activation_params).toEqual({ type: 'floats', value: [] });
    const x = randomFloat32([1, 3, 6, 6], 1);
    expect(compareTensors(run(back, { x }).y!, run(m, { x }).y!, PASS_TOLERANCE)).toBeUndefined();
  });
});
