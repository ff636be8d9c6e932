/** Transpose, DepthToSpace, Concat, Split, Slice, Gather*, Scatter*, Expand, Tile: run + infer. */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../../runtime/errors.js';
import {
  expectTensor,
  f32,
  i64,
  infer1,
  inferN,
  int,
  ints,
  iota,
  run1,
  runN,
  str,
  t,
  ti,
  vals,
} from './helpers.js';

describe('Transpose', () => {
  it('default reverses the axes; perm permutes them', () => {
    const x = f32([2, 3], iota(6));
    expectTensor(run1('Transpose', [x]), [3, 2], [0, 3, 1, 4, 2, 5]);
    const y = f32([2, 1, 3], iota(6));
    expectTensor(run1('Transpose', [y], { perm: ints([2, 0, 1]) }), [3, 2, 1], [0, 3, 1, 4, 2, 5]);
    expect(() => run1('Transpose', [y], { perm: ints([0, 0, 1]) })).toThrow(/permutation/);
    expect(infer1('Transpose', [ti('float32', ['N', 3, 'W'])], { perm: ints([2, 0, 1]) })).toEqual(
      ti('float32', ['W', 'N', 3]),
    );
  });
});

describe('DepthToSpace / SpaceToDepth', () => {
  // x[0, c, 0, 0] = c for 4 channels, blocksize 2: DCR puts channel (i*2+j) at (i, j); CRD the same for C'=1.
  const x = f32([1, 4, 1, 1], [0, 1, 2, 3]);
  it('DCR and CRD on a single pixel', () => {
    expectTensor(run1('DepthToSpace', [x], { blocksize: int(2) }), [1, 1, 2, 2], [0, 1, 2, 3]);
    expectTensor(
      run1('DepthToSpace', [x], { blocksize: int(2), mode: str('CRD') }),
      [1, 1, 2, 2],
      [0, 1, 2, 3],
    );
  });
  it('DCR and CRD differ with 2 output channels', () => {
    const y = f32([1, 8, 1, 1], iota(8));
    // DCR: channel index = (i*2 + j)*2 + c; CRD: channel index = c*4 + i*2 + j
    expectTensor(run1('DepthToSpace', [y], { blocksize: int(2) }), [1, 2, 2, 2], [0, 2, 4, 6, 1, 3, 5, 7]);
    expectTensor(run1('DepthToSpace', [y], { blocksize: int(2), mode: str('CRD') }), [1, 2, 2, 2], iota(8));
  });
  it('rejects channels or spatial dims that the block does not divide', () => {
    expect(() => run1('DepthToSpace', [f32([1, 3, 1, 1], [1, 2, 3])], { blocksize: int(2) })).toThrow(
      /divisible/,
    );
    expect(() => infer1('DepthToSpace', [ti('float32', [1, 6, 2, 2])], { blocksize: int(2) })).toThrow(
      /divisible/,
    );
    expect(() => infer1('SpaceToDepth', [ti('float32', [1, 6, 3, 2])], { blocksize: int(2) })).toThrow(
      /divisible/,
    );
  });
  it('SpaceToDepth inverts DCR DepthToSpace', () => {
    const y = f32([1, 8, 2, 3], iota(48));
    const d = run1('DepthToSpace', [y], { blocksize: int(2) });
    expectTensor(run1('SpaceToDepth', [d], { blocksize: int(2) }), [1, 8, 2, 3], iota(48));
    expect(infer1('SpaceToDepth', [ti('float32', ['N', 2, 4, 6])], { blocksize: int(2) })).toEqual(
      ti('float32', ['N', 8, 2, 3]),
    );
  });
});

describe('Concat and Split', () => {
  it('Concat along a negative axis', () => {
    const a = f32([2, 1], [1, 2]);
    const b = f32([2, 2], [3, 4, 5, 6]);
    expectTensor(run1('Concat', [a, b], { axis: int(-1) }), [2, 3], [1, 3, 4, 2, 5, 6]);
    expect(() => run1('Concat', [a, f32([3, 1], [1, 2, 3])], { axis: int(1) })).toThrow(/differ/);
    expect(infer1('Concat', [ti('float32', ['N', 2]), ti('float32', ['N', 3])], { axis: int(1) })).toEqual(
      ti('float32', ['N', 5]),
    );
    expect(infer1('Concat', [ti('float32', ['N', 2]), ti('float32', [4, 2])], { axis: int(0) })).toEqual(
      ti('float32', ['unk__0', 2]),
    );
  });
  it('Split by input sizes, attribute, evenly, and by num_outputs', () => {
    const x = f32([5], iota(5));
    const [a, b] = runN('Split', [x, i64([2, 3])], {}, 13, 2);
    expectTensor(a!, [2], [0, 1]);
    expectTensor(b!, [3], [2, 3, 4]);
    const [c, d] = runN('Split', [x], { split: ints([4, 1]) }, 11, 2);
    expectTensor(c!, [4], [0, 1, 2, 3]);
    expectTensor(d!, [1], [4]);
    const outs = runN('Split', [x], { num_outputs: int(3) }, 18, 3);
    expect(outs.map((o) => vals(o))).toEqual([[0, 1], [2, 3], [4]]);
    expect(() => runN('Split', [x], {}, 13, 2)).toThrow(/evenly/);
    const inf = inferN('Split', [ti('float32', ['N', 6])], { axis: int(1) }, { opset: 13, nOut: 3 });
    expect(inf).toEqual([ti('float32', ['N', 2]), ti('float32', ['N', 2]), ti('float32', ['N', 2])]);
  });
});

describe('Slice', () => {
  const x = f32([3, 4], iota(12));
  it('negative steps, clamping and int64 extremes', () => {
    expectTensor(
      run1('Slice', [x, i64([0, 3]), i64([3, 0]), i64([0, 1]), i64([2, -1])]),
      [2, 3],
      [3, 2, 1, 11, 10, 9],
    );
    const max = t('int64', [1], [9223372036854775807n]);
    const min = t('int64', [1], [-9223372036854775808n]);
    expectTensor(
      run1('Slice', [x, i64([-1]), min, i64([1]), i64([-1])]),
      [3, 4],
      [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8],
    );
    expectTensor(run1('Slice', [x, i64([1]), max]), [2, 4], [4, 5, 6, 7, 8, 9, 10, 11]);
    expectTensor(run1('Slice', [x, i64([10]), i64([20])]), [0, 4], []);
    expect(() => run1('Slice', [x, i64([0]), i64([1]), i64([0]), i64([0])])).toThrow(/step/);
  });
  it('attributes in opset 1-9', () => {
    expectTensor(
      run1('Slice', [x], { starts: ints([1]), ends: ints([-1]), axes: ints([1]) }, 9),
      [3, 2],
      [1, 2, 5, 6, 9, 10],
    );
  });
  it('infer keeps untouched symbols and sizes the rest', () => {
    const constants = [undefined, i64([0, 1]), t('int64', [2], [9223372036854775807n, 3n]), i64([0, 1])];
    const inputs = [ti('float32', ['N', 5]), ti('int64', [2]), ti('int64', [2]), ti('int64', [2])];
    expect(infer1('Slice', inputs, {}, { constants })).toEqual(ti('float32', ['N', 2]));
    const sliced = [undefined, i64([1]), i64([3]), i64([0])];
    expect(infer1('Slice', inputs, {}, { constants: sliced })).toEqual(ti('float32', ['unk__0', 5]));
  });
});

describe('Gather family', () => {
  const x = f32([3, 2], [1, 2, 3, 4, 5, 6]);
  it('Gather with negative indices and 2-D indices', () => {
    expectTensor(run1('Gather', [x, i64([2, -3])]), [2, 2], [5, 6, 1, 2]);
    expectTensor(
      run1('Gather', [x, i64([1, 0, 0, 1], [2, 2])], { axis: int(1) }),
      [3, 2, 2],
      [2, 1, 1, 2, 4, 3, 3, 4, 6, 5, 5, 6],
    );
    expect(() => run1('Gather', [x, i64([3])])).toThrow(KilnError);
    expect(infer1('Gather', [ti('float32', ['N', 2]), ti('int64', ['K'])], { axis: int(0) })).toEqual(
      ti('float32', ['K', 2]),
    );
  });
  it('GatherElements', () => {
    expectTensor(
      run1('GatherElements', [x, i64([1, 0, -1, 0], [2, 2])], { axis: int(1) }),
      [2, 2],
      [2, 1, 4, 3],
    );
    expectTensor(run1('GatherElements', [x, i64([2, 0], [1, 2])]), [1, 2], [5, 2]);
  });
  it('GatherND with and without batch_dims', () => {
    const d = f32([2, 2, 2], iota(8));
    expectTensor(run1('GatherND', [d, i64([1, 0, 0, 1], [2, 2])]), [2, 2], [4, 5, 2, 3]);
    // batch b picks d[b, idx]: b=0 -> d[0,1] = [2,3]; b=1 -> d[1,0] = [4,5]
    expectTensor(run1('GatherND', [d, i64([1, 0], [2, 1])], { batch_dims: int(1) }), [2, 2], [2, 3, 4, 5]);
  });
});

describe('Scatter family', () => {
  const x = f32([2, 3], [0, 0, 0, 0, 0, 0]);
  it('ScatterElements with duplicates and reductions', () => {
    const ind = i64([1, 1], [1, 2]);
    const upd = f32([1, 2], [2, 3]);
    expectTensor(
      run1('ScatterElements', [x, ind, upd], { axis: int(1), reduction: str('add') }),
      [2, 3],
      [0, 5, 0, 0, 0, 0],
    );
    const base = f32([1, 3], [4, 4, 4]);
    expectTensor(
      run1('ScatterElements', [base, ind, upd], { axis: int(1), reduction: str('max') }),
      [1, 3],
      [4, 4, 4],
    );
    expectTensor(
      run1('ScatterElements', [base, ind, upd], { axis: int(1), reduction: str('mul') }),
      [1, 3],
      [4, 24, 4],
    );
    expectTensor(
      run1('Scatter', [x, i64([1, 0, 1], [1, 3]), f32([1, 3], [7, 8, 9])], {}, 9),
      [2, 3],
      [0, 8, 0, 7, 0, 9],
    );
    expect(() => run1('ScatterElements', [base, ind, upd], { reduction: str('max') }, 16)).toThrow(
      /reduction/,
    );
  });
  it('ScatterND on slices', () => {
    const r = run1('ScatterND', [x, i64([1], [1, 1]), f32([1, 3], [1, 2, 3])]);
    expectTensor(r, [2, 3], [0, 0, 0, 1, 2, 3]);
    const m = run1('ScatterND', [t('int64', [3], [1, 2, 3]), i64([0, 0], [2, 1]), t('int64', [2], [5, 6])], {
      reduction: str('mul'),
    });
    expect(vals(m)).toEqual([30, 2, 3]);
  });
});

describe('Expand and Tile', () => {
  it('Expand broadcasts both ways', () => {
    const x = f32([3, 1], [1, 2, 3]);
    expectTensor(run1('Expand', [x, i64([2, 1, 2])]), [2, 3, 2], [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expectTensor(run1('Expand', [x, i64([1])]), [3, 1], [1, 2, 3]);
    expect(() => run1('Expand', [x, i64([2, 2])])).toThrow(KilnError);
    expect(
      infer1(
        'Expand',
        [ti('float32', ['N', 1]), ti('int64', [2])],
        {},
        { constants: [undefined, i64([1, 4])] },
      ),
    ).toEqual(ti('float32', ['N', 4]));
  });
  it('Tile repeats each axis', () => {
    const x = f32([2, 2], [1, 2, 3, 4]);
    expectTensor(run1('Tile', [x, i64([1, 2])]), [2, 4], [1, 2, 1, 2, 3, 4, 3, 4]);
    expectTensor(run1('Tile', [x, i64([2, 1])]), [4, 2], [1, 2, 3, 4, 1, 2, 3, 4]);
    expect(() => run1('Tile', [x, i64([2])])).toThrow(/repeats/);
    // Tile-1: scalar tiles and axis inputs
    expectTensor(
      run1('Tile', [x, f32([], [3]), f32([], [-1])], {}, 1),
      [2, 6],
      [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4],
    );
    expect(
      infer1(
        'Tile',
        [ti('float32', ['N', 2]), ti('int64', [2])],
        {},
        { constants: [undefined, i64([1, 3])] },
      ),
    ).toEqual(ti('float32', ['N', 6]));
  });
});
