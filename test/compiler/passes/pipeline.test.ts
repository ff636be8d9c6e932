import { describe, expect, it } from 'vitest';
import { printModel } from '../../../compiler/ir/print.js';
import { DEFAULT_PIPELINE, PASSES, runPipeline } from '../../../compiler/passes/index.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, ints, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { applyAndCompare, ops } from './check.js';

/** Conv → BN → Relu, an Identity, a constant subexpression and a dead branch: every pass has work. */
const make = () =>
  model(
    graph({
      inputs: [value('x', 'float32', [1, 3, 8, 8])],
      outputs: [value('y', 'float32')],
      initializers: {
        w: randomFloat32([4, 3, 3, 3], 2),
        scale: randomFloat32([4], 4, 0.5, 2),
        bias: randomFloat32([4], 5),
        mean: randomFloat32([4], 6),
        var: randomFloat32([4], 7, 0.1, 2),
        a: tensorFrom('float32', [], [2]),
        b: tensorFrom('float32', [], [3]),
      },
      nodes: [
        node('Identity', ['x'], ['xi']),
        node('Conv', ['xi', 'w'], ['c'], { pads: ints([1, 1, 1, 1]) }),
        node('BatchNormalization', ['c', 'scale', 'bias', 'mean', 'var'], ['n']),
        node('Relu', ['n'], ['r']),
        node('Add', ['a', 'b'], ['ab']),
        node('Mul', ['r', 'ab'], ['m']),
        node('Exp', ['m'], ['y']),
        node('Neg', ['x'], ['dead']),
      ],
    }),
  );

describe('pass pipeline', () => {
  it('runs every default pass in order, reports each, and keeps outputs', () => {
    const seen: string[] = [];
    const dumps: string[] = [];
    const pipeline = (m: ReturnType<typeof make>) => {
      const results = runPipeline(m, {
        onPass: (name, after) => {
          seen.push(name);
          dumps.push(printModel(after));
        },
      });
      return { changed: results.reduce((s, r) => s + r.result.changed, 0) };
    };
    const { model: m } = applyAndCompare(make, pipeline, { x: randomFloat32([1, 3, 8, 8], 1) });
    expect(seen).toEqual(DEFAULT_PIPELINE);
    expect(ops(m)).toEqual(['kiln.FusedConv', 'kiln.Elementwise']);
    expect(dumps.at(-1)).toContain('kiln.FusedConv');
    expect(dumps[0]).not.toContain('= Add(a, b)');
  });

  it('runs a chosen list of passes and refuses unknown names', () => {
    const m = make();
    const results = runPipeline(m, { passes: ['no-ops', 'dead-code'] });
    expect(results.map((r) => r.name)).toEqual(['no-ops', 'dead-code']);
    expect(ops(m)).toEqual(['Conv', 'BatchNormalization', 'Relu', 'Add', 'Mul', 'Exp']);
    expect(() => runPipeline(make(), { passes: ['no-ops', 'fuse-everything'] })).toThrow(
      /unknown pass 'fuse-everything'.*one of constant-folding/,
    );
    expect(Object.keys(PASSES)).toEqual(expect.arrayContaining([...new Set(DEFAULT_PIPELINE)]));
  });
});
