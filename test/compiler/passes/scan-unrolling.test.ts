import { describe, expect, it } from 'vitest';
import type { Attribute, Graph, Model } from '../../../compiler/ir/graph.js';
import { notUnrolledReason } from '../../../compiler/passes/not-unrolled.js';
import { unrollScans } from '../../../compiler/passes/scan-unrolling.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

const sub = (g: Graph): Attribute => ({ type: 'graph', value: g });

/** Body: s' = s + a·b (a, b the two scan elements [3]); emits s' and a - b. */
const body = (shape: (number | string)[] = [3]) =>
  graph({
    name: 'body',
    inputs: [value('s', 'float32', shape), value('a', 'float32', shape), value('b', 'float32', shape)],
    outputs: [value('s_out', 'float32', shape), value('d', 'float32', shape), value('p', 'float32', shape)],
    nodes: [
      node('Mul', ['a', 'b'], ['ab']),
      node('Add', ['s', 'ab'], ['s_out']),
      node('Sub', ['a', 'b'], ['d']),
      node('Mul', ['s_out', 'w'], ['p']),
    ],
  });

/** Opset 11: a [4, 3] scanned on axis 0, b [3, 4] on axis 1 backwards; outputs stacked on axes 0 and 1 (reversed). */
function scan9(xShape: (number | string)[] = [4, 3]): Model {
  return model(
    graph({
      inputs: [value('s0', 'float32', [3]), value('x', 'float32', xShape), value('y', 'float32', [3, 4])],
      outputs: [value('s', 'float32'), value('ds', 'float32'), value('ps', 'float32')],
      initializers: { w: randomFloat32([3], 7) },
      nodes: [
        node('Scan', ['s0', 'x', 'y'], ['s', 'ds', 'ps'], {
          body: sub(body()),
          num_scan_inputs: int(2),
          scan_input_axes: ints([0, 1]),
          scan_input_directions: ints([0, 1]),
          scan_output_axes: ints([0, -1]),
          scan_output_directions: ints([0, 1]),
        }),
      ],
    }),
    11,
  );
}

/** Opset 8: batch 2 on everything, sequence axis 1; b scanned backwards. */
function scan8(): Model {
  return model(
    graph({
      inputs: [
        value('s0', 'float32', [2, 3]),
        value('x', 'float32', [2, 4, 3]),
        value('y', 'float32', [2, 4, 3]),
      ],
      outputs: [value('s', 'float32'), value('ds', 'float32'), value('ps', 'float32')],
      initializers: { w: randomFloat32([3], 7) },
      nodes: [
        node('Scan', ['', 's0', 'x', 'y'], ['s', 'ds', 'ps'], {
          body: sub(body()),
          num_scan_inputs: int(2),
          directions: ints([0, 1]),
        }),
      ],
    }),
    8,
  );
}

describe('Scan unrolling', () => {
  it('unrolls a static scan (axes, directions, negative output axis)', () => {
    const feeds = { s0: randomFloat32([3], 1), x: randomFloat32([4, 3], 2), y: randomFloat32([3, 4], 3) };
    const { model: m, result } = applyAndCompare(scan9, unrollScans, feeds);
    expect(result.changed).toBe(1);
    expect(ops(m)).not.toContain('Scan');
    expect(ops(m).filter((o) => o === 'Sub')).toHaveLength(4);
  });

  it('unrolls an opset-8 scan per batch entry', () => {
    const feeds = {
      s0: randomFloat32([2, 3], 1),
      x: randomFloat32([2, 4, 3], 2),
      y: randomFloat32([2, 4, 3], 3),
    };
    const { model: m } = applyAndCompare(scan8, unrollScans, feeds);
    expect(ops(m).filter((o) => o === 'Sub')).toHaveLength(8);
  });

  it('leaves a scan of symbolic length, saying why', () => {
    const m = scan9(['n', 3]);
    expect(unrollScans(m).changed).toBe(0);
    expect(notUnrolledReason(m.graph.nodes[0]!)).toMatch(/static shapes/);
  });
});
