import { describe, expect, it } from 'vitest';
import { shapeDecidingInputs } from '../../../compiler/analysis/shape-operands.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, node, value } from '../../helpers/build.js';

describe('shapeDecidingInputs', () => {
  it('finds graph inputs reaching a shape operand through computation, not through Shape', () => {
    const g = graph({
      inputs: [
        value('x', 'float32', [2, 3]),
        value('n', 'int32', []),
        value('y', 'float32', [6]),
        value('k', 'int64', [1]),
        value('w', 'int64', [1]),
      ],
      outputs: [value('r', 'float32'), value('t', 'float32')],
      nodes: [
        // Reshape(y, Concat(Shape(x)[0], Cast(n))): n decides the shape, x only through its dims
        node('Shape', ['x'], ['sx']),
        node('Gather', ['sx', 'zero'], ['d0']),
        node('Cast', ['n'], ['n64'], { to: { type: 'int', value: 7 } }),
        node('Unsqueeze', ['n64', 'zero1'], ['n1']),
        node('Concat', ['d0', 'n1'], ['shape'], { axis: { type: 'int', value: 0 } }),
        node('Reshape', ['y', 'shape'], ['r']),
        // TopK's K is fed directly; w is an input also given as an initializer (a default): not bound
        node('TopK', ['y', 'k'], ['t', 'ti']),
        node('Tile', ['y', 'w'], ['tw']),
      ],
      initializers: {
        zero: tensorFrom('int64', [1], [0]),
        zero1: tensorFrom('int64', [1], [0]),
        w: tensorFrom('int64', [1], [2]),
      },
    });
    expect(shapeDecidingInputs(g)).toEqual(['n', 'k']);
  });

  it('ignores ops whose inputs are all data', () => {
    const g = graph({
      inputs: [value('a', 'float32', [2]), value('b', 'float32', [2])],
      outputs: [value('c', 'float32')],
      nodes: [node('Add', ['a', 'b'], ['c'])],
    });
    expect(shapeDecidingInputs(g)).toEqual([]);
  });
});
