import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import type { Attribute, Graph, Model } from '../../../compiler/ir/graph.js';
import { unrollLoops } from '../../../compiler/passes/loop-unrolling.js';
import { notUnrolledReason } from '../../../compiler/passes/not-unrolled.js';
import { type Tensor, scalar, tensorFrom } from '../../../runtime/tensor.js';
import { WasmInstance } from '../../../runtime/wasm/instance.js';
import { compileWasm } from '../../../targets/wasm/compile.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops, run } from './check.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

const sub = (g: Graph): Attribute => ({ type: 'graph', value: g });
const i64 = (v: number[]) => tensorFrom('int64', [v.length], v);

/**
 * acc = Loop(M, cond, acc0): each iteration adds row i of `table` (Slice by iteration_num) times a
 * graph input x to acc, and emits acc as a scan output. `condOut` chooses how the body computes its
 * condition: passed through, a constant true, or computed (i < 2).
 */
function loopModel(opts: {
  trips?: number | 'fed';
  cond?: boolean | 'absent';
  condOut?: 'pass' | 'const' | 'computed';
}): Model {
  const condOut = opts.condOut ?? 'pass';
  const bodyNodes = [
    node('Add', ['i', 'one'], ['i1']),
    node('Unsqueeze', ['i', 'zero_axis'], ['start']),
    node('Unsqueeze', ['i1', 'zero_axis'], ['end']),
    node('Slice', ['table', 'start', 'end'], ['row']),
    node('Mul', ['row', 'x'], ['scaled']),
    node('Add', ['acc_in', 'scaled'], ['acc_out']),
    node('Identity', ['acc_out'], ['scan_out']),
  ];
  if (condOut === 'pass') bodyNodes.push(node('Identity', ['c_in'], ['c_out']));
  if (condOut === 'computed') bodyNodes.push(node('Less', ['i', 'two_i'], ['c_out']));
  const body = graph({
    name: 'body',
    inputs: [value('i', 'int64', []), value('c_in', 'bool', []), value('acc_in', 'float32', [1, 3])],
    outputs: [
      value('c_out', 'bool', []),
      value('acc_out', 'float32', [1, 3]),
      value('scan_out', 'float32', [1, 3]),
    ],
    nodes: bodyNodes,
    initializers: {
      one: scalar('int64', 1),
      zero_axis: i64([0]),
      two_i: scalar('int64', 2),
      ...(condOut === 'const' ? { c_out: scalar('bool', true) } : {}),
    },
  });
  const trips = opts.trips ?? 4;
  const cond = opts.cond ?? true;
  return model(
    graph({
      inputs: [value('x', 'float32', [1, 3]), ...(trips === 'fed' ? [value('M', 'int64', [])] : [])],
      outputs: [value('acc', 'float32'), value('rows', 'float32')],
      initializers: {
        table: randomFloat32([6, 3], 5),
        acc0: randomFloat32([1, 3], 6),
        ...(trips === 'fed' ? {} : { M: scalar('int64', trips) }),
        ...(cond === 'absent' ? {} : { cond: scalar('bool', cond) }),
      },
      nodes: [
        node('Loop', ['M', cond === 'absent' ? '' : 'cond', 'acc0'], ['acc', 'rows'], { body: sub(body) }),
      ],
    }),
    13,
  );
}

const feeds = { x: randomFloat32([1, 3], 1) };

describe('Loop unrolling', () => {
  it.each([
    ['condition passed through', { condOut: 'pass' as const }],
    ['constant true condition in the body', { condOut: 'const' as const }],
    ['no condition input', { cond: 'absent' as const }],
  ])('unrolls a constant trip count (%s)', (_, opts) => {
    const { model: m, result } = applyAndCompare(() => loopModel(opts), unrollLoops, feeds);
    expect(result.changed).toBe(1);
    expect(ops(m)).not.toContain('Loop');
    expect(ops(m).filter((o) => o === 'Slice')).toHaveLength(4);
  });

  it('gives the initial values for a constant false condition', () => {
    const { model: m } = applyAndCompare(
      () => {
        const mm = loopModel({ cond: false });
        mm.graph.outputs.pop(); // no scan output: zero iterations would leave it empty
        mm.graph.nodes[0]!.outputs = ['acc'];
        const body = (mm.graph.nodes[0]!.attrs.body as { value: Graph }).value;
        body.outputs.pop();
        return mm;
      },
      unrollLoops,
      feeds,
    );
    expect(ops(m)).toEqual(['Identity']);
  });

  it.each([
    ['a trip count fed at run time', { trips: 'fed' as const }, /trip count M is computed at run time/],
    ['a condition computed by the body', { condOut: 'computed' as const }, /body computes the condition/],
  ])('leaves a Loop with %s, saying why', (_, opts, why) => {
    const m = loopModel(opts);
    expect(unrollLoops(m).changed).toBe(0);
    expect(notUnrolledReason(m.graph.nodes[0]!)).toMatch(why);
  });

  it('compiles for wasm once unrolled (the Slice starts fold to constants)', () => {
    const expected = run(loopModel({}), feeds);
    const c = compileWasm(loopModel({}), { selfTest: false });
    const got = WasmInstance.instantiateSync(c.modules.relaxed, c.weights, c.layout).run(
      feeds as Record<string, Tensor>,
    );
    for (const name of ['acc', 'rows'])
      expect(compareTensors(got[name]!, expected[name]!, { rtol: 1e-5, atol: 1e-6 }), name).toBeUndefined();
  });
});
