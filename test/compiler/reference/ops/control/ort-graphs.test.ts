import { describe, it } from 'vitest';
import type { Attribute, Model } from '../../../../../compiler/ir/graph.js';
import type { Tensor } from '../../../../../runtime/tensor.js';
import { runOrt } from '../../../../helpers/ort.js';
import {
  execute,
  expectTensorsClose,
  f32,
  graph,
  graphAttr,
  i64,
  int,
  ints,
  makeNode as N,
  model,
  modelBytes,
  rand,
  t,
  vi,
} from './helpers.js';

/** Run a model on the reference executor and on onnxruntime-node and require equal outputs. */
async function sameAsOrt(m: Model, feeds: Record<string, Tensor>): Promise<void> {
  const want = await runOrt(modelBytes(m), feeds);
  const got = execute(m, feeds);
  for (const o of m.graph.outputs) expectTensorsClose(got.get(o.name), want[o.name]!, 1e-6);
}

describe('control flow against onnxruntime', () => {
  it('Scan with per-input axes and directions and per-output axes and directions', async () => {
    // state s [2]; inputs a [3,2] scanned on axis 0 backwards, b [2,3] scanned on axis 1 forwards.
    const body = graph(
      'body',
      [vi('s', 'float32', [2]), vi('a', 'float32', [2]), vi('b', 'float32', [2])],
      [vi('s2', 'float32', [2]), vi('y1', 'float32', [2]), vi('y2', 'float32', [2])],
      [
        N('Add', ['s', 'a'], ['t']),
        N('Mul', ['t', 'b'], ['s2']),
        N('Identity', ['s2'], ['y1']),
        N('Sub', ['a', 'b'], ['y2']),
      ],
    );
    const attrs: Record<string, Attribute> = {
      body: graphAttr(body),
      num_scan_inputs: int(2),
      scan_input_axes: ints([0, 1]),
      scan_input_directions: ints([1, 0]),
      scan_output_axes: ints([1, 0]),
      scan_output_directions: ints([0, 1]),
    };
    const m = model(
      graph(
        'main',
        [vi('s0', 'float32', [2]), vi('a', 'float32', [3, 2]), vi('b', 'float32', [2, 3])],
        [vi('s', 'float32'), vi('y1', 'float32'), vi('y2', 'float32')],
        [N('Scan', ['s0', 'a', 'b'], ['s', 'y1', 'y2'], attrs)],
      ),
      16,
    );
    await sameAsOrt(m, { s0: f32([2], rand(2, 1)), a: f32([3, 2], rand(6, 2)), b: f32([2, 3], rand(6, 3)) });
  });

  it('Scan opset 8 with sequence_lens, a reversed input and a batch axis', async () => {
    const body = graph(
      'body',
      [vi('s', 'float32', [2]), vi('a', 'float32', [2]), vi('b', 'float32', [2])],
      [vi('s2', 'float32', [2]), vi('y', 'float32', [2])],
      [N('Add', ['s', 'a'], ['t']), N('Mul', ['t', 'b'], ['s2']), N('Sub', ['s2', 'a'], ['y'])],
    );
    const m = model(
      graph(
        'main',
        [
          vi('lens', 'int64', [3]),
          vi('s0', 'float32', [3, 2]),
          vi('a', 'float32', [3, 4, 2]),
          vi('b', 'float32', [3, 4, 2]),
        ],
        [vi('s', 'float32'), vi('y', 'float32')],
        [
          N('Scan', ['lens', 's0', 'a', 'b'], ['s', 'y'], {
            body: graphAttr(body),
            num_scan_inputs: int(2),
            directions: ints([0, 1]),
          }),
        ],
      ),
      8,
    );
    await sameAsOrt(m, {
      lens: i64([3], [4, 2, 3]),
      s0: f32([3, 2], rand(6, 8)),
      a: f32([3, 4, 2], rand(24, 9)),
      b: f32([3, 4, 2], rand(24, 10)),
    });
  });

  it('Loop with trip count, condition, two carried values and a scan output', async () => {
    // acc = acc * 0.9 + x * i; stop when acc leaves (-limit, limit)
    const body = graph(
      'body',
      [vi('i', 'int64', []), vi('c', 'bool', []), vi('acc', 'float32', [3]), vi('k', 'float32', [])],
      [vi('c2', 'bool', []), vi('acc2', 'float32', [3]), vi('k2', 'float32', []), vi('out', 'float32', [3])],
      [
        N('Cast', ['i'], ['fi'], { to: int(1) }),
        N('Mul', ['x', 'fi'], ['xi']),
        N('Mul', ['acc', 'decay'], ['ad']),
        N('Add', ['ad', 'xi'], ['acc2']),
        N('Add', ['k', 'fi'], ['k2']),
        N('Less', ['k2', 'limit'], ['c2']),
        N('Identity', ['acc2'], ['out']),
      ],
    );
    const m = model(
      graph(
        'main',
        [vi('M', 'int64', []), vi('cond', 'bool', []), vi('acc0', 'float32', [3]), vi('x', 'float32', [3])],
        [vi('acc', 'float32'), vi('k', 'float32'), vi('scan', 'float32')],
        [N('Loop', ['M', 'cond', 'acc0', 'k0'], ['acc', 'k', 'scan'], { body: graphAttr(body) })],
        [
          ['decay', f32([], [0.9])],
          ['limit', f32([], [10])],
          ['k0', f32([], [0])],
        ],
      ),
      16,
    );
    const cond = t('bool', [], [1]);
    for (const M of [0, 3, 100]) {
      await sameAsOrt(m, { M: i64([], [M]), cond, acc0: f32([3], rand(3, 5)), x: f32([3], rand(3, 6)) });
    }
  });

  it('SplitToSequence (chunks, single slices) through ConcatFromSequence and SequenceAt', async () => {
    const m = model(
      graph(
        'main',
        [vi('x', 'float32', [3, 4])],
        [vi('chunks', 'float32'), vi('stacked', 'float32'), vi('last', 'float32')],
        [
          N('SplitToSequence', ['x', 'two'], ['s1'], { axis: int(1) }),
          N('ConcatFromSequence', ['s1'], ['chunks'], { axis: int(0) }),
          N('SplitToSequence', ['x'], ['s2'], { axis: int(0), keepdims: int(0) }),
          N('ConcatFromSequence', ['s2'], ['stacked'], { axis: int(-1), new_axis: int(1) }),
          N('SequenceAt', ['s1', 'minus1'], ['last']),
        ],
        [
          ['two', i64([], [2])],
          ['minus1', i64([], [-1])],
        ],
      ),
      16,
    );
    await sameAsOrt(m, { x: f32([3, 4], rand(12, 7)) });
  });
});
