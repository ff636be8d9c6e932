import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportModel } from '../../compiler/onnx/export.js';
import { parseNpy, serializeNpy } from '../../runtime/npy.js';
import { Tensor, tensorFrom } from '../../runtime/tensor.js';
import { graph, model, node, value } from '../helpers/build.js';
import { runKiln } from '../helpers/cli.js';
import { CONFORMANCE_ROOT, hasConformanceData } from '../helpers/paths.js';

const kiln = runKiln;

let dir: string;
let modelPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
  const m = model(
    graph({
      inputs: [value('x', 'float32', ['batch', 3])],
      outputs: [value('y', 'float32', ['batch', 2])],
      initializers: { w: tensorFrom('float32', [3, 2], [1, 0, 0, 1, 1, 1]) },
      nodes: [node('MatMul', ['x', 'w'], ['h'], {}, 'mm'), node('Relu', ['h'], ['y'], {}, 'relu')],
    }),
  );
  modelPath = join(dir, 'tiny.onnx');
  writeFileSync(modelPath, exportModel(m));
});

describe('kiln CLI', { timeout: 200_000 }, () => {
  it('has --help for the program and every command', () => {
    const top = kiln(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['inspect', 'run', 'conformance']) {
      expect(top.stdout).toContain(cmd);
      const h = kiln([cmd, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(/Usage: kiln/);
    }
  });

  it('inspect --json describes inputs, outputs, ops, parameters and FLOPs', () => {
    const r = kiln(['inspect', modelPath, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.inputs).toEqual([{ name: 'x', type: 'float32[batch,3]' }]);
    expect(j.outputs).toEqual([{ name: 'y', type: 'float32[batch,2]' }]);
    expect(j.ops).toEqual({ MatMul: 1, Relu: 1 });
    expect(j.parameters).toBe(6);
    expect(j.parameterBytes).toBe(24);
    expect(j.unsupportedOps).toEqual([]);
  });

  it('run reads .npy inputs and writes .npy outputs with the right values', () => {
    const x = tensorFrom('float32', [2, 3], [1, 2, 3, -4, -5, 6]);
    writeFileSync(join(dir, 'x.npy'), serializeNpy(x));
    const out = join(dir, 'out');
    const r = kiln(['run', modelPath, '--input', join(dir, 'x.npy'), '--output', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('y');
    const y = parseNpy(readFileSync(join(out, 'y.npy')));
    expect(y.shape).toEqual([2, 2]);
    // [1,2,3]·w = [1+3, 2+3] ; [-4,-5,6]·w = [-4+6, -5+6]
    expect(Array.from(y.data as Float32Array)).toEqual([4, 5, 2, 1]);
  });

  it('run with random inputs honours --dim for symbolic dims', () => {
    const r = kiln(['run', modelPath, '--dim', 'batch=4', '--output', join(dir, 'rnd'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).outputs[0].shape).toEqual([4, 2]);
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.onnx'), /cannot read model/],
    ['a truncated model', () => truncated(), /not a valid ONNX model/],
    ['random bytes', () => randomFile(), /not a valid ONNX model|model has no graph/],
  ])('fails clearly on %s: exit 1, the file named, no stack trace', (_what, file, message) => {
    const path = file();
    const r = kiln(['inspect', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(path);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('run rejects an input of the wrong shape, naming input and expected type', () => {
    writeFileSync(join(dir, 'bad.npy'), serializeNpy(new Tensor('float32', [2, 4], new Float32Array(8))));
    const r = kiln(['run', modelPath, '--input', join(dir, 'bad.npy')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/input 'x' has shape \[2,4\].*expected: float32\[batch,3\]/);
  });

  it.skipIf(!hasConformanceData)('conformance --json prints {summary, cases} for one case folder', () => {
    const r = kiln(['conformance', join(CONFORMANCE_ROOT, 'node/test_relu'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary).toEqual({ passed: 1, passedWithBoundInputs: 0, failed: 0, unsupported: 0, total: 1 });
    expect(j.cases[0]).toMatchObject({ name: 'test_relu', op: 'Relu', status: 'pass' });
    expect(j.cases[0].path).toContain('test_relu');
  });
});

function truncated(): string {
  const p = join(dir, 'truncated.onnx');
  const bytes = readFileSync(modelPath);
  writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return p;
}

function randomFile(): string {
  const p = join(dir, 'random.onnx');
  const b = Buffer.alloc(4096);
  for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
  writeFileSync(p, b);
  return p;
}
