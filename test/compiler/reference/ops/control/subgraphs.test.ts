import { describe, expect, it } from 'vitest';
import type { Graph, TypeInfo } from '../../../../../compiler/ir/graph.js';
import { TensorSequence } from '../../../../../compiler/reference/value.js';
import { KilnError } from '../../../../../runtime/errors.js';
import { Tensor, scalar } from '../../../../../runtime/tensor.js';
import {
  expectClose,
  execute,
  f32,
  graph,
  graphAttr,
  i64,
  inferOp,
  int,
  ints,
  makeNode,
  model,
  opDef,
  t,
  vi,
} from './helpers.js';

const N = makeNode;

describe('If', () => {
  // then: x + x (x from the outer scope); else: x - 1
  const thenG = graph('then', [], [vi('y', 'float32')], [N('Add', ['x', 'x'], ['y'])]);
  const elseG = graph('else', [], [vi('y', 'float32')], [N('Sub', ['x', 'one'], ['y'])]);
  const m = model(
    graph(
      'main',
      [vi('c', 'bool', []), vi('x', 'float32', [2])],
      [vi('out', 'float32', [2])],
      [N('If', ['c'], ['out'], { then_branch: graphAttr(thenG), else_branch: graphAttr(elseG) })],
      [['one', f32([], [1])]],
    ),
  );
  it('runs the branch the condition selects, with outer values visible', () => {
    const x = f32([2], [3, 5]);
    expectClose(execute(m, { c: scalar('bool', true), x }).get('out'), [2], [6, 10]);
    expectClose(execute(m, { c: scalar('bool', false), x }).get('out'), [2], [2, 4]);
  });
  it('rejects a condition with more than one element', () => {
    expect(() => execute(m, { c: t('bool', [2], [1, 0]), x: f32([2], [1, 2]) })).toThrow(KilnError);
  });
  it('infers merged branch types: equal dims kept, differing dims fresh, a known condition picks its branch', () => {
    const types = new Map<Graph, (TypeInfo | undefined)[]>([
      [thenG, [{ dtype: 'float32', shape: ['n', 3, 4] }]],
      [elseG, [{ dtype: 'float32', shape: ['n', 5, 4] }]],
    ]);
    const attrs = { then_branch: graphAttr(thenG), else_branch: graphAttr(elseG) };
    const sub = (g: Graph) => types.get(g)!;
    expect(inferOp('If', [{ dtype: 'bool', shape: [] }], attrs, 21, 1, sub)).toEqual([
      { dtype: 'float32', shape: ['n', 'unk__0', 4] },
    ]);
    expect(inferOp('If', [{ dtype: 'bool', shape: [] }], attrs, 21, 1, sub, [scalar('bool', false)])).toEqual(
      [{ dtype: 'float32', shape: ['n', 5, 4] }],
    );
    types.set(elseG, [{ dtype: 'int64', shape: ['n', 5, 4] }]);
    expect(() => inferOp('If', [{ dtype: 'bool', shape: [] }], attrs, 21, 1, sub)).toThrow(/int64/);
  });
});

/** Loop whose body doubles v, outputs cond_out = (v_out < limit) and scans v_out and the iteration number. */
function loopModel(withM: boolean, withCond: boolean): ReturnType<typeof model> {
  const body = graph(
    'body',
    [vi('i', 'int64', []), vi('cond_in', 'bool', []), vi('v_in', 'float32', [1])],
    [
      vi('cond_out', 'bool', []),
      vi('v_out', 'float32', [1]),
      vi('scan_v', 'float32', [1]),
      vi('scan_i', 'int64', []),
    ],
    [
      N('Add', ['v_in', 'v_in'], ['v_out']),
      N('Less', ['v_out', 'limit'], ['cond_out']),
      N('Identity', ['v_out'], ['scan_v']),
      N('Identity', ['i'], ['scan_i']),
    ],
  );
  return model(
    graph(
      'main',
      [vi('M', 'int64', []), vi('c', 'bool', []), vi('v0', 'float32', [1])],
      [vi('v', 'float32'), vi('sv', 'float32'), vi('si', 'int64')],
      [
        N('Loop', [withM ? 'M' : '', withCond ? 'c' : '', 'v0'], ['v', 'sv', 'si'], {
          body: graphAttr(body),
        }),
      ],
      [['limit', f32([1], [10])]],
    ),
  );
}

describe('Loop', () => {
  const feeds = (M: number, c: boolean) => ({ M: i64([], [M]), c: scalar('bool', c), v0: f32([1], [1]) });
  it('runs M iterations when no condition is given, ignoring the body condition', () => {
    const out = execute(loopModel(true, false), feeds(5, true));
    expectClose(out.get('v'), [1], [32]);
    expectClose(out.get('sv'), [5, 1], [2, 4, 8, 16, 32]);
    expectClose(out.get('si'), [5], [0, 1, 2, 3, 4]);
  });
  it('runs while the condition holds when no trip count is given', () => {
    const out = execute(loopModel(false, true), feeds(0, true));
    expectClose(out.get('v'), [1], [16]);
    expectClose(out.get('sv'), [4, 1], [2, 4, 8, 16]);
  });
  it('stops at whichever of M and the condition ends first', () => {
    expectClose(execute(loopModel(true, true), feeds(2, true)).get('v'), [1], [4]);
    expectClose(execute(loopModel(true, true), feeds(9, true)).get('v'), [1], [16]);
  });
  it('returns the initial values and empty scans when no iteration runs', () => {
    const out = execute(loopModel(true, true), feeds(3, false));
    expectClose(out.get('v'), [1], [1]);
    expectClose(out.get('sv'), [0, 1], []);
    expectClose(out.get('si'), [0], []);
  });
  it('carries a sequence across iterations', () => {
    const body = graph(
      'body',
      [vi('i', 'int64', []), vi('cond_in', 'bool', []), vi('s_in', undefined, undefined, 'sequence')],
      [vi('cond_out', 'bool', []), vi('s_out', undefined, undefined, 'sequence')],
      [N('Identity', ['cond_in'], ['cond_out']), N('SequenceInsert', ['s_in', 'i'], ['s_out'])],
    );
    const m = model(
      graph(
        'main',
        [vi('M', 'int64', [])],
        [vi('n', 'int64', [])],
        [
          N('SequenceEmpty', [], ['s0'], { dtype: int(7) }),
          N('Loop', ['M', '', 's0'], ['s'], { body: graphAttr(body) }),
          N('SequenceLength', ['s'], ['n']),
        ],
      ),
    );
    const n = execute(m, { M: i64([], [4]) }).get('n') as Tensor;
    expect(n.data[0]).toBe(4n);
  });
});

/** Scan body: running sum s_out = s_in + x_t, emitted as the scan output. */
const sumBody = graph(
  'body',
  [vi('s_in', 'float32', [2]), vi('x_t', 'float32', [2])],
  [vi('s_out', 'float32', [2]), vi('y_t', 'float32', [2])],
  [N('Add', ['s_in', 'x_t'], ['s_out']), N('Identity', ['s_out'], ['y_t'])],
);

function scan9(attrs: Record<string, ReturnType<typeof ints>>) {
  return model(
    graph(
      'main',
      [vi('s0', 'float32', [2]), vi('x', 'float32')],
      [vi('s', 'float32'), vi('y', 'float32')],
      [N('Scan', ['s0', 'x'], ['s', 'y'], { body: graphAttr(sumBody), num_scan_inputs: int(1), ...attrs })],
    ),
    11,
  );
}

describe('Scan (opset 9+)', () => {
  const s0 = f32([2], [0, 0]);
  const x = f32([3, 2], [1, 2, 3, 4, 5, 6]);
  it('scans axis 0 forwards: running sums', () => {
    const out = execute(scan9({}), { s0, x });
    expectClose(out.get('s'), [2], [9, 12]);
    expectClose(out.get('y'), [3, 2], [1, 2, 4, 6, 9, 12]);
  });
  it('reads the input backwards with scan_input_directions', () => {
    expectClose(
      execute(scan9({ scan_input_directions: ints([1]) }), { s0, x }).get('y'),
      [3, 2],
      [5, 6, 8, 10, 9, 12],
    );
  });
  it('stacks backwards with scan_output_directions and on another axis with scan_output_axes', () => {
    expectClose(
      execute(scan9({ scan_output_directions: ints([1]) }), { s0, x }).get('y'),
      [3, 2],
      [9, 12, 4, 6, 1, 2],
    );
    expectClose(
      execute(scan9({ scan_output_axes: ints([-1]) }), { s0, x }).get('y'),
      [2, 3],
      [1, 4, 9, 2, 6, 12],
    );
  });
  it('slices along scan_input_axes', () => {
    const xt = f32([2, 3], [1, 3, 5, 2, 4, 6]); // x transposed
    expectClose(
      execute(scan9({ scan_input_axes: ints([1]) }), { s0, x: xt }).get('y'),
      [3, 2],
      [1, 2, 4, 6, 9, 12],
    );
  });
  it('rejects scan inputs of different lengths', () => {
    const body2 = graph(
      'b',
      [vi('a', 'float32'), vi('b', 'float32')],
      [vi('c', 'float32')],
      [N('Add', ['a', 'b'], ['c'])],
    );
    const m = model(
      graph(
        'main',
        [vi('p', 'float32'), vi('q', 'float32')],
        [vi('r', 'float32')],
        [N('Scan', ['p', 'q'], ['r'], { body: graphAttr(body2), num_scan_inputs: int(2) })],
      ),
      11,
    );
    expect(() => execute(m, { p: f32([2], [1, 2]), q: f32([3], [1, 2, 3]) })).toThrow(/steps/);
  });
});

describe('Scan (opset 8)', () => {
  const body = graph(
    'body',
    [vi('s_in', 'float32', [1]), vi('x_t', 'float32', [1])],
    [vi('s_out', 'float32', [1]), vi('y_t', 'float32', [1])],
    [N('Add', ['s_in', 'x_t'], ['s_out']), N('Identity', ['s_out'], ['y_t'])],
  );
  const m = model(
    graph(
      'main',
      [vi('lens', 'int32', [2]), vi('s0', 'float32', [2, 1]), vi('x', 'float32', [2, 3, 1])],
      [vi('s', 'float32'), vi('y', 'float32')],
      [
        N('Scan', ['lens', 's0', 'x'], ['s', 'y'], {
          body: graphAttr(body),
          num_scan_inputs: int(1),
          directions: ints([1]),
        }),
      ],
    ),
    8,
  );
  it('scans each batch entry on its own, up to its sequence length, zero-padding the rest', () => {
    const out = execute(m, {
      lens: t('int32', [2], [3, 2]),
      s0: f32([2, 1], [0, 100]),
      x: f32([2, 3, 1], [1, 2, 3, 10, 20, 30]),
    });
    // entry 0 reversed over 3 steps: 3, 5, 6; entry 1 reversed over its first 2 steps: 120, 130, then 0.
    expectClose(out.get('s'), [2, 1], [6, 130]);
    expectClose(out.get('y'), [2, 3, 1], [3, 5, 6, 120, 130, 0]);
  });
});

describe('SequenceMap', () => {
  it('maps the body over sequence items, passing tensors whole', () => {
    const body = graph(
      'body',
      [vi('a', 'float32'), vi('b', 'float32')],
      [vi('c', 'float32')],
      [N('Add', ['a', 'b'], ['c'])],
    );
    const m = model(
      graph(
        'main',
        [vi('s', undefined, undefined, 'sequence'), vi('k', 'float32', [1])],
        [vi('out', undefined, undefined, 'sequence')],
        [N('SequenceMap', ['s', 'k'], ['out'], { body: graphAttr(body) })],
      ),
      17,
    );
    const seq = new TensorSequence('float32', [f32([2], [1, 2]), f32([1], [5])]);
    const out = execute(m, { s: seq, k: f32([1], [10]) }).get('out');
    expect(out).toBeInstanceOf(TensorSequence);
    const items = (out as TensorSequence).items;
    expect(items.length).toBe(2);
    expectClose(items[0], [2], [11, 12]);
    expectClose(items[1], [1], [15]);
  });
});

describe('Loop and Scan inference', () => {
  const body = graph('body', [], [], []);
  const sub = () => [
    { dtype: 'bool' as const, shape: [] },
    { dtype: 'float32' as const, shape: [2, 3] },
    { dtype: 'float32' as const, shape: ['k'] },
  ];
  it('stacks Loop scan outputs over a constant trip count only when there is no cond input', () => {
    const types = [
      { dtype: 'int64' as const, shape: [] },
      undefined,
      { dtype: 'float32' as const, shape: [2, 'n'] },
    ];
    const forLoop = inferOp('Loop', types, { body: graphAttr(body) }, 16, 2, sub, [i64([], [4])]);
    // the carried value keeps only the dims its initial and per-iteration types agree on
    expect(forLoop).toEqual([
      { dtype: 'float32', shape: [2, 'unk__0'] },
      { dtype: 'float32', shape: [4, 'k'] },
    ]);
    const def = opDef('Loop');
    let n = 0;
    const whileLoop = def.infer({
      node: makeNode('Loop', ['M', 'c', 'v'], ['v_out', 'scan'], { body: graphAttr(body) }),
      opset: 16,
      inputs: [types[0], { dtype: 'bool', shape: [] }, types[2]],
      constants: [i64([], [4])],
      freshDim: () => `f${n++}`,
      inferSubgraph: sub,
    });
    expect(whileLoop[1]).toEqual({ dtype: 'float32', shape: ['f1', 'k'] });
  });
});
