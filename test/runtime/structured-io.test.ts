import { describe, expect, it } from 'vitest';
import { manifestProblems } from '../../runtime/artifact/manifest.js';
import { type StructuredValue, flattenFeeds, groupTensors, modelNames } from '../../runtime/structured-io.js';
import { sampleDraft } from './artifact-fixture.js';

const seq: StructuredValue = {
  name: 's',
  kind: 'sequence',
  dtype: 'float32',
  index: 1,
  tensors: ['s[0]', 's[1]'],
};
const opt: StructuredValue = { name: 'o', kind: 'optional', holds: 'tensor', index: 2, tensors: ['o?'] };
const none: StructuredValue = { name: 'n', kind: 'optional', holds: 'none', index: 0, tensors: [] };
const flat = [
  { name: 'x', dtype: 'float32', shape: [2] },
  { name: 's[0]', dtype: 'float32', shape: [3] },
  { name: 's[1]', dtype: 'float32', shape: [4] },
  { name: 'o?', dtype: 'int32', shape: [] },
];

describe('structured I/O', () => {
  it('lists the model names: plain tensors in order, structured values at their index', () => {
    expect(modelNames(['x', 's[0]', 's[1]', 'o?'], [seq, opt, none])).toEqual(['n', 's', 'o', 'x']);
    expect(modelNames(['x', 'y'])).toEqual(['x', 'y']);
  });

  it('flattens feeds and groups outputs back', () => {
    const a = { tag: 'a' };
    const b = { tag: 'b' };
    const c = { tag: 'c' };
    const flatFeeds = flattenFeeds({ x: a, s: [b, c], o: a, n: null }, [seq, opt, none], flat);
    expect(flatFeeds).toEqual({ x: a, 's[0]': b, 's[1]': c, 'o?': a });
    expect(groupTensors(flatFeeds, [seq, opt, none])).toEqual({ x: a, s: [b, c], o: a, n: null });
  });

  it('names the input and what it takes when a feed has another structure', () => {
    const feeds = (over: Record<string, unknown>) => ({ x: {}, s: [{}, {}], o: {}, ...over });
    const groups = [seq, opt, none];
    expect(() => flattenFeeds(feeds({ s: [{}] }), groups, flat)).toThrow(
      "input 's' is a sequence of 1 tensors; the artifact was compiled for 2 (expected: an array of 2 tensors: float32[3], float32[4] (as compiled))",
    );
    expect(() => flattenFeeds(feeds({ s: {} }), groups, flat)).toThrow(
      /input 's' is a Object, not a sequence/,
    );
    expect(() => flattenFeeds(feeds({ o: [{}] }), groups, flat)).toThrow(
      /input 'o' is an array of 1, not a tensor \(expected: a int32\[\] tensor/,
    );
    expect(() => flattenFeeds(feeds({ n: {} }), groups, flat)).toThrow(/compiled as an absent optional/);
    expect(() => flattenFeeds({ x: {}, o: {} }, groups, flat)).toThrow(/missing input 's'/);
  });

  it('validates the manifest field', () => {
    const m = {
      ...sampleDraft(),
      files: { 'weights.bin': { sha256: 'ab'.repeat(32), bytes: 0 } },
      selfTest: undefined,
      inputs: [
        { name: 'image', dtype: 'float32', shape: [3] },
        { name: 's[0]', dtype: 'float32', shape: [3] },
      ],
    };
    const ok = {
      inputs: [{ name: 's', kind: 'sequence', dtype: 'float32', index: 1, tensors: ['s[0]'] }],
      outputs: [],
    };
    expect(manifestProblems({ ...m, structuredIo: ok })).toEqual([]);
    const bad = {
      inputs: [
        { name: 's', kind: 'sequence', holds: 'tensor', index: 1, tensors: ['s[9]'] },
        { name: 'o', kind: 'optional', holds: 'none', index: 1, tensors: ['s[0]'] },
      ],
      outputs: [],
    };
    expect(manifestProblems({ ...m, structuredIo: bad })).toEqual([
      'structuredIo.inputs[0].holds: expected nothing (only optionals hold), got "tensor"',
      'structuredIo.inputs[0].tensors[0]: expected the name of one of inputs, got "s[9]"',
      "structuredIo.inputs[1].tensors: expected 0 tensors (holds 'none'), got 1",
      'structuredIo.inputs: index "1" appears twice',
    ]);
  });
});
