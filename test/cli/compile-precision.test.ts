import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCommand } from '../../cli/compile.js';
import { exportModel } from '../../compiler/onnx/export.js';
import { readArtifact } from '../../runtime/artifact/index.js';
import { graph, model, node, value } from '../helpers/build.js';
import { runKiln } from '../helpers/cli.js';

const kiln = runKiln;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-precision-'));
  const m = model(
    graph({
      inputs: [value('x', 'float32', [1, 4])],
      outputs: [value('y', 'float32', [1, 4])],
      nodes: [node('Sigmoid', ['x'], ['y'])],
    }),
  );
  writeFileSync(join(dir, 'sig.onnx'), exportModel(m));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kiln compile --precision', { timeout: 1_200_000 }, () => {
  it('is in the help, with its choices', () => {
    const help = compileCommand().helpInformation();
    expect(help).toMatch(/--precision <p>[\s\S]*shader-f16[\s\S]*choices: "fp32", "fp16"/);
  });

  it('fp16 for webgpu writes an fp16 artifact that needs shader-f16', async () => {
    const out = join(dir, 'sig.kiln');
    const r = kiln([
      'compile',
      join(dir, 'sig.onnx'),
      '--target',
      'webgpu',
      '--precision',
      'fp16',
      '-o',
      out,
    ]);
    expect(r.stderr + r.stdout).toMatch(/\(fp16\)/);
    expect(r.code).toBe(0);
    const { manifest } = await readArtifact(new Uint8Array(readFileSync(out)));
    expect(manifest.precision).toBe('fp16');
    expect(manifest.target.features).toEqual(['shader-f16']);
  });

  it('fp16 for the wasm target is refused, naming the target', () => {
    const r = kiln(['compile', join(dir, 'sig.onnx'), '--precision', 'fp16', '-o', join(dir, 'w.kiln')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--precision fp16 is not available for the wasm target.*--target webgpu/s);
  });
});
