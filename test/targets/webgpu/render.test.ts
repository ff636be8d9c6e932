import { describe, expect, it } from 'vitest';
import { type LoopKernel, type Stmt, affine } from '../../../compiler/kernel/ir.js';
import { phasesOf } from '../../../targets/webgpu/parallel.js';
import { renderWebGpu } from '../../../targets/webgpu/render.js';
import { type Places, f32 } from '../../../targets/webgpu/wgsl.js';

/** What the WGSL renderer decides without a GPU: thread grids, literals, shader structure. */
const loops = (body: Stmt[]): LoopKernel => ({ kind: 'loops', name: 'k', nodes: [], buffers: [], body });
const places: Places = new Map([
  ['x', { binding: 'arena', offset: 0 }],
  ['y', { binding: 'arena', offset: 1024 }],
  ['w', { binding: 'weights', offset: 4 }],
]);

describe('webgpu: which loops become threads', () => {
  it('an elementwise nest runs one thread per element', () => {
    const k = loops([
      {
        k: 'loop',
        v: 'i',
        n: 8,
        body: [
          {
            k: 'loop',
            v: 'j',
            n: 16,
            body: [{ k: 'store', buf: 'y', at: affine(0, ['i', 16], ['j', 1]), value: { k: 'const', v: 1 } }],
          },
        ],
      },
    ]);
    expect(phasesOf(k)[0]!.parallel).toEqual([
      { v: 'i', n: 8 },
      { v: 'j', n: 16 },
    ]);
  });

  it('a row reduction runs one thread per row, the reduction sequential in it', () => {
    const k = loops([
      {
        k: 'loop',
        v: 'r',
        n: 4,
        body: [
          { k: 'set', acc: 's', value: { k: 'const', v: 0 } },
          {
            k: 'loop',
            v: 'c',
            n: 10,
            body: [
              {
                k: 'set',
                acc: 's',
                value: {
                  k: 'bin',
                  op: 'add',
                  a: { k: 'acc', name: 's' },
                  b: { k: 'load', buf: 'x', at: affine(0, ['r', 10], ['c', 1]) },
                },
              },
            ],
          },
          { k: 'store', buf: 'y', at: affine(0, ['r', 1]), value: { k: 'acc', name: 's' } },
        ],
      },
    ]);
    const [phase] = phasesOf(k);
    expect(phase!.parallel).toEqual([{ v: 'r', n: 4 }]);
  });

  it('an accumulator carried across iterations keeps its loop sequential', () => {
    const k = loops([
      {
        k: 'loop',
        v: 'i',
        n: 4,
        body: [
          {
            k: 'set',
            acc: 's',
            value: { k: 'bin', op: 'add', a: { k: 'acc', name: 's' }, b: { k: 'const', v: 1 } },
          },
        ],
      },
    ]);
    expect(phasesOf(k)[0]!.parallel).toEqual([]);
  });

  it('threads whose stores could overlap are not split (y[i + j] over i and j)', () => {
    const k = loops([
      {
        k: 'loop',
        v: 'i',
        n: 4,
        body: [
          {
            k: 'loop',
            v: 'j',
            n: 4,
            body: [{ k: 'store', buf: 'y', at: affine(0, ['i', 1], ['j', 1]), value: { k: 'const', v: 1 } }],
          },
        ],
      },
    ]);
    expect(phasesOf(k)[0]!.parallel).toEqual([]);
  });

  it('a read of another iteration of a buffer the nest writes keeps the loop sequential', () => {
    // y[i] = y[i - 1] + 1: a prefix sum, not parallel
    const k = loops([
      {
        k: 'loop',
        v: 'i',
        n: 4,
        body: [
          {
            k: 'store',
            buf: 'y',
            at: affine(1, ['i', 1]),
            value: {
              k: 'bin',
              op: 'add',
              a: { k: 'load', buf: 'y', at: affine(0, ['i', 1]) },
              b: { k: 'const', v: 1 },
            },
          },
        ],
      },
    ]);
    expect(phasesOf(k)[0]!.parallel).toEqual([]);
  });
});

describe('webgpu: WGSL text', () => {
  it('float literals round-trip f32 values; non-finite ones are read from the weights buffer', () => {
    expect(f32(1)).toBe('1.0f');
    expect(f32(0.1)).toBe(`${Math.fround(0.1)}f`);
    expect(f32(-Infinity)).toBe('weights[1]');
    expect(f32(NaN)).toBe('weights[2]');
  });

  it('a GEMM is one shader tiled in workgroup memory, every shape a constant', () => {
    const [d] = renderWebGpu(
      [
        {
          kind: 'gemm',
          name: 'Gemm',
          nodes: ['g'],
          buffers: [],
          m: 33,
          n: 70,
          k: 9,
          a: 'w',
          aLayout: 'rowmajor',
          b: 'x',
          bLayout: 'rowmajor',
          c: 'y',
          biasPer: 'row',
          activation: { kind: 'relu' },
          tile: { mr: 5, nr: 8 },
        },
      ],
      places,
    );
    expect(d!.source).toMatch(/var<workgroup> tileA/);
    expect(d!.source).toMatch(/const M = 33;/);
    expect(d!.source).toMatch(/max\(v, 0\.0f\)/);
    expect(d!.workgroups).toEqual([3, 2, 1]);
  });
});

describe('webgpu: integer element types', () => {
  const typed: Places = new Map([
    ['xi', { binding: 'arena', offset: 0, type: 'i32' }],
    ['f', { binding: 'arena', offset: 64 }],
    ['idx', { binding: 'weights', offset: 8, type: 'i32' }],
    ['o64', { binding: 'arena', offset: 128, type: 'i64' }],
  ]);
  const one = (s: Stmt) => renderWebGpu([loops([{ k: 'loop', v: 'i', n: 4, body: [s] }])], typed)[0]!.source;

  it('i32 values are bitcast from and to the f32 words; integer ops and casts are WGSL i32', () => {
    const src = one({
      k: 'store',
      buf: 'xi',
      at: affine(0, ['i', 1]),
      value: {
        k: 'bin',
        op: 'shr_u',
        a: { k: 'cast', to: 'i32', a: { k: 'load', buf: 'f', at: affine(0, ['i', 1]) } },
        b: { k: 'const', v: -2147483648, t: 'i32' },
      },
    });
    expect(src).toContain(
      'arena[v0_i] = bitcast<f32>(bitcast<i32>(bitcast<u32>(i32(arena[v0_i + 64])) >> (u32((-2147483647i - 1i)) & 31u)));',
    );
  });

  it('a run-time index term reads its i32 index inside the address', () => {
    const src = one({
      k: 'store',
      buf: 'f',
      at: affine(0, ['i', 1]),
      value: {
        k: 'load',
        buf: 'f',
        at: { ...affine(0), dyn: [{ e: { k: 'load', buf: 'idx', at: affine(0, ['i', 1]) }, c: 3 }] },
      },
    });
    expect(src).toContain('arena[v0_i + 64] = arena[bitcast<i32>(weights[v0_i + 8]) * 3 + 64];');
  });

  it('a scatter (a run-time index in a store) runs in order on one thread', () => {
    const scatter = loops([
      {
        k: 'loop',
        v: 'i',
        n: 4,
        body: [
          {
            k: 'store',
            buf: 'f',
            at: { ...affine(0), dyn: [{ e: { k: 'load', buf: 'idx', at: affine(0, ['i', 1]) }, c: 2 }] },
            value: { k: 'load', buf: 'f', at: affine(1, ['i', 1]) },
          },
        ],
      },
    ]);
    expect(phasesOf(scatter)[0]!.parallel).toEqual([]);
    const [d] = renderWebGpu([scatter], typed);
    expect(d!.name).toMatch(/_serial$/);
    expect(d!.source).toContain('arena[bitcast<i32>(weights[v0_i + 8]) * 2 + 64] = arena[v0_i + 65];');
  });

  it('an i64 store writes the low and high words of the truncated value', () => {
    const src = one({
      k: 'store',
      buf: 'o64',
      at: affine(0, ['i', 1]),
      value: { k: 'cast', to: 'i64', a: { k: 'load', buf: 'f', at: affine(0, ['i', 1]) } },
    });
    expect(src).toContain('let t = trunc(arena[v0_i + 64]); let w = 128 + 2 * (v0_i);');
    expect(src).toContain('arena[w + 1] = bitcast<f32>(select(select(0i, -1i, t < 0.0f)');
  });
});
