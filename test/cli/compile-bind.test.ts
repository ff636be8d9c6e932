import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModel } from '../../compiler/onnx/export.js';
import { parseBindings } from '../../cli/bind-spec.js';
import { parseNpy, serializeNpy } from '../../runtime/npy.js';
import { Tensor, tensorFrom } from '../../runtime/tensor.js';
import { graph, model, node, value } from '../helpers/build.js';
import { runKiln } from '../helpers/cli.js';
import { CONFORMANCE_ROOT, hasConformanceData } from '../helpers/paths.js';

const kiln = runKiln;

let dir: string;
const npy = (name: string, t: Tensor) => {
  const p = join(dir, name);
  writeFileSync(p, serializeNpy(t));
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-bind-'));
  // y = Reshape(x, shape): the output's shape is decided by a graph input
  const m = model(
    graph({
      inputs: [value('x', 'float32', [2, 6]), value('shape', 'int64', [2])],
      outputs: [value('y', 'float32')],
      nodes: [node('Reshape', ['x', 'shape'], ['y'])],
    }),
    13,
  );
  writeFileSync(join(dir, 'reshape.onnx'), exportModel(m));
  npy(
    'x.npy',
    new Tensor(
      'float32',
      [2, 6],
      Float32Array.from({ length: 12 }, (_, i) => i),
    ),
  );
  npy('shape.npy', tensorFrom('int64', [2], [3, -1]));
  npy('other.npy', tensorFrom('int64', [2], [4, -1]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kiln compile --bind', { timeout: 1_200_000 }, () => {
  it('is in the help', () => {
    const h = kiln(['compile', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--bind <name=file>/);
  });

  it('compiles with the shape input bound; runs it with that value and refuses another', () => {
    const art = join(dir, 'reshape.kiln');
    const c = kiln([
      'compile',
      join(dir, 'reshape.onnx'),
      '--bind',
      `shape=${join(dir, 'shape.npy')}`,
      '-o',
      art,
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain("bound input 'shape' = int64 [3, -1] (dims [2])");
    const out = join(dir, 'out');
    const ok = kiln([
      'run',
      art,
      '-i',
      `x=${join(dir, 'x.npy')}`,
      `shape=${join(dir, 'shape.npy')}`,
      '-o',
      out,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const y = parseNpy(readFileSync(join(out, 'y.npy')));
    expect(y.shape).toEqual([3, 4]);
    expect([...(y.data as Float32Array)]).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const bad = kiln([
      'run',
      art,
      '-i',
      `x=${join(dir, 'x.npy')}`,
      `shape=${join(dir, 'other.npy')}`,
      '-o',
      out,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /input 'shape' was bound at compile time to int64 \[3, -1\] \(dims \[2\]\), but the run was given \[4, -1\]/,
    );
  });

  it('parses NAME=FILE pairs and refuses malformed or repeated ones', () => {
    const b = parseBindings([`shape=${join(dir, 'shape.npy')}`]);
    expect([...b.keys()]).toEqual(['shape']);
    expect([...(b.get('shape')!.data as BigInt64Array)]).toEqual([3n, -1n]);
    expect(() => parseBindings(['shape'])).toThrow(/--bind shape: not NAME=FILE/);
    expect(() => parseBindings(['=x.npy'])).toThrow(/not NAME=FILE/);
    const again = `shape=${join(dir, 'shape.npy')}`;
    expect(() => parseBindings([again, again])).toThrow(/--bind shape is given twice/);
    expect(() => parseBindings([`shape=${join(dir, 'missing.npy')}`])).toThrow(/cannot read file/);
  });

  it.skipIf(!hasConformanceData)('conformance counts the cases that passed with bound shape inputs', () => {
    const r = kiln([
      'conformance',
      join(CONFORMANCE_ROOT, 'node/test_reshape_negative_dim'),
      '--backend',
      'wasm',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 passed \(1 passed with bound shape inputs/);
  });
});
