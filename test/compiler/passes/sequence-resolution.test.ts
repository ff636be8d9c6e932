import { describe, expect, it } from 'vitest';
import type { Model, Node } from '../../../compiler/ir/graph.js';
import { notUnrolledReason } from '../../../compiler/passes/not-unrolled.js';
import { resolveSequences } from '../../../compiler/passes/sequence-resolution.js';
import { scalar, tensorFrom } from '../../../runtime/tensor.js';
import { graph, int, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { PASS_TOLERANCE, applyAndCompare, ops, run } from './check.js';

const feeds = {
  x: randomFloat32([2, 3], 1),
  y: randomFloat32([2, 3], 2),
  z: randomFloat32([2, 5], 3),
};

/**
 * s = [x, y] → insert z·0 + ... at the front (position -2) → erase position 1 → read at 1, its length,
 * and the concatenation (axis -1) and stack (new_axis) of a split of z.
 */
function seqModel(opts: { fedPosition?: boolean; seqOutput?: boolean } = {}): Model {
  const nodes: Node[] = [
    node('SequenceEmpty', [], ['e'], { dtype: int(1) }),
    node('SequenceInsert', ['e', 'x'], ['s1']),
    node('SequenceInsert', ['s1', 'y'], ['s2']),
    node('SequenceInsert', ['s2', 'x', 'front'], ['s3']),
    node('SequenceErase', ['s3', 'one'], ['s4']),
    node('SequenceAt', ['s4', 'at'], ['picked']),
    node('SequenceLength', ['s4'], ['len']),
    node('ConcatFromSequence', ['s4'], ['cat'], { axis: int(-1) }),
    node('SplitToSequence', ['z', 'sizes'], ['parts'], { axis: int(1) }),
    node('ConcatFromSequence', ['parts'], ['back'], { axis: int(1) }),
    node('SplitToSequence', ['z'], ['cols'], { axis: int(-1), keepdims: int(0) }),
    node('ConcatFromSequence', ['cols'], ['stacked'], { axis: int(-1), new_axis: int(1) }),
    node('Identity', ['cols'], ['cols2']),
    node('SequenceAt', ['cols2', 'minus1'], ['last']),
  ];
  const outputs = ['picked', 'len', 'cat', 'back', 'stacked', 'last'].map((n) =>
    value(n, n === 'len' ? 'int64' : 'float32'),
  );
  if (opts.seqOutput) outputs.push({ name: 's2', kind: 'sequence' });
  return model(
    graph({
      inputs: [
        value('x', 'float32', [2, 3]),
        value('y', 'float32', [2, 3]),
        value('z', 'float32', [2, 5]),
        ...(opts.fedPosition ? [value('at', 'int64', [])] : []),
      ],
      outputs,
      initializers: {
        front: scalar('int64', -2),
        one: scalar('int64', 1),
        minus1: scalar('int64', -1),
        sizes: tensorFrom('int64', [2], [2, 3]),
        ...(opts.fedPosition ? {} : { at: scalar('int64', 1) }),
      },
      nodes,
    }),
    17,
  );
}

describe('sequence resolution', () => {
  it('turns reads of static sequences into tensor ops and drops the sequences', () => {
    const { model: m, result } = applyAndCompare(() => seqModel(), resolveSequences, feeds);
    expect(result.changed).toBe(6);
    expect(ops(m).filter((o) => /Sequence/.test(o))).toEqual([]);
    expect(new Set(ops(m))).toEqual(new Set(['Identity', 'Concat', 'Slice', 'Squeeze', 'Unsqueeze']));
  });

  it('resolves the reads of a sequence that is a graph output, which ends as one SequenceConstruct', () => {
    const m = seqModel({ seqOutput: true });
    resolveSequences(m);
    const want = run(seqModel(), feeds);
    const got = run(m, feeds);
    for (const name of Object.keys(want))
      expect(compareTensors(got[name]!, want[name]!, PASS_TOLERANCE), name).toBeUndefined();
    expect(ops(m).filter((o) => /Sequence/.test(o))).toEqual(['SequenceConstruct']);
    const s2 = m.graph.nodes.find((n) => n.outputs[0] === 's2')!;
    expect(s2.inputs).toEqual(['x', 'y']);
    expect(notUnrolledReason(s2)).toBeUndefined();
  });

  it('leaves a sequence output built at a run-time position, saying why', () => {
    const m = seqModel({ seqOutput: true, fedPosition: true });
    m.graph.nodes.find((n) => n.outputs[0] === 's2')!.inputs.push('at');
    resolveSequences(m);
    const s2 = m.graph.nodes.find((n) => n.outputs[0] === 's2')!;
    expect(s2.op).toBe('SequenceInsert');
    expect(notUnrolledReason(s2)).toMatch(/position is computed at run time/);
  });

  it('leaves a read at a position fed at run time, saying why', () => {
    const m = seqModel({ fedPosition: true });
    resolveSequences(m);
    const at = m.graph.nodes.find((n) => n.op === 'SequenceAt')!;
    expect(at.inputs[1]).toBe('at');
    expect(notUnrolledReason(at)).toMatch(/position is computed at run time/);
  });
});

describe('optionals and SequenceMap', () => {
  /** Optional(x) and an absent optional read by OptionalHasElement/GetElement; SequenceMap squaring [x, y]. */
  function optModel(): Model {
    const square = graph({
      inputs: [value('e', 'float32', [2, 3])],
      outputs: [value('sq', 'float32', [2, 3])],
      nodes: [node('Mul', ['e', 'e'], ['sq'])],
    });
    return model(
      graph({
        inputs: [value('x', 'float32', [2, 3]), value('y', 'float32', [2, 3])],
        outputs: ['has', 'none', 'got', 'cat'].map((n) =>
          value(n, n === 'has' || n === 'none' ? 'bool' : 'float32'),
        ),
        nodes: [
          node('Optional', ['x'], ['ox']),
          node('Identity', ['ox'], ['ox2']),
          node('Optional', [], ['empty'], { type: { type: 'type_proto', value: value('', 'float32') } }),
          node('OptionalHasElement', ['ox2'], ['has']),
          node('OptionalHasElement', ['empty'], ['none']),
          node('OptionalGetElement', ['ox2'], ['got']),
          node('SequenceConstruct', ['x', 'y'], ['s']),
          node('SequenceMap', ['s'], ['squares'], { body: { type: 'graph', value: square } }),
          node('ConcatFromSequence', ['squares'], ['cat'], { axis: int(0) }),
        ],
      }),
      18,
    );
  }

  it('makes OptionalHasElement a constant, OptionalGetElement an Identity, and inlines SequenceMap per element', () => {
    const { model: m } = applyAndCompare(optModel, resolveSequences, { x: feeds.x, y: feeds.y });
    expect(ops(m).filter((o) => /Optional|Sequence/.test(o))).toEqual([]);
    expect(ops(m).filter((o) => o === 'Mul')).toHaveLength(2);
  });

  it('leaves OptionalGetElement of an absent optional, saying why', () => {
    const m = optModel();
    m.graph.nodes.find((n) => n.op === 'OptionalGetElement')!.inputs = ['empty'];
    resolveSequences(m);
    const get = m.graph.nodes.find((n) => n.op === 'OptionalGetElement')!;
    expect(notUnrolledReason(get)).toMatch(/holds no value/);
  });
});
