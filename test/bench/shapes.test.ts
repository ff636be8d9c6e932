import { describe, expect, it } from 'vitest';
import { bindInputShapes, parseInputShapes } from '../../bench/shapes.js';
import type { Model } from '../../compiler/ir/graph.js';
import { KilnError } from '../../runtime/errors.js';

const withInput = (shape: (number | string)[]): Model => ({
  irVersion: 8,
  opsetImports: new Map([['', 17]]),
  producerName: '',
  producerVersion: '',
  domain: '',
  modelVersion: 0,
  docString: '',
  metadata: {},
  functions: [],
  graph: {
    name: 'g',
    inputs: [{ name: 'x', kind: 'tensor', type: { dtype: 'float32', shape } }],
    outputs: [],
    nodes: [],
    initializers: new Map(),
    valueInfo: new Map([['y', { name: 'y', kind: 'tensor', type: { dtype: 'float32', shape: ['batch'] } }]]),
  },
});

describe('input shapes for symbolic models', () => {
  it('parses NAME=DxD specs', () => {
    expect(parseInputShapes(['x=1x3x48x192', 'a=b=4'])).toEqual({ x: [1, 3, 48, 192], 'a=b': [4] });
    expect(parseInputShapes([])).toEqual({});
  });

  it.each(['x', '=1x2', 'x=', 'x=1x-2', 'x=1xtwo', 'x=1.5'])('refuses %s', (spec) => {
    expect(() => parseInputShapes([spec])).toThrow(KilnError);
    expect(() => parseInputShapes([spec])).toThrow(/bad --shape/);
  });

  it('binds symbolic dims and drops stale value_info', () => {
    const m = withInput(['batch', 3, 'h']);
    bindInputShapes(m, { x: [1, 3, 8] });
    expect(m.graph.inputs[0]!.type!.shape).toEqual([1, 3, 8]);
    expect(m.graph.valueInfo.size).toBe(0);
  });

  it('refuses unknown inputs, other ranks and changed static dims', () => {
    expect(() => bindInputShapes(withInput(['b', 3]), { y: [1, 3] })).toThrow(
      /no graph input 'y'.*expected: x/,
    );
    expect(() => bindInputShapes(withInput(['b', 3]), { x: [1, 3, 1] })).toThrow(/does not fit input 'x'/);
    expect(() => bindInputShapes(withInput(['b', 3]), { x: [1, 4] })).toThrow(/expected: \[b,3\]/);
  });
});
