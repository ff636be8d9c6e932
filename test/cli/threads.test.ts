import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseThreads } from '../../cli/run.js';
import { compareTensors } from '../../compiler/conformance/compare.js';
import { exportModel } from '../../compiler/onnx/export.js';
import { ReferenceSession } from '../../compiler/reference/session.js';
import { parseNpy, serializeNpy } from '../../runtime/npy.js';
import type { Tensor } from '../../runtime/tensor.js';
import { graph, ints, model, node, value } from '../helpers/build.js';
import { runKiln } from '../helpers/cli.js';
import { randomFloat32 } from '../helpers/random.js';

/** The CLI in its own process: a threaded run must also end the process (workers must not hang it). */
const kiln = runKiln;

const convNet = () =>
  model(
    graph({
      inputs: [value('x', 'float32', [1, 4, 9, 9])],
      outputs: [value('y', 'float32', [1, 8, 9, 9])],
      nodes: [
        node('Conv', ['x', 'w'], ['c'], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }, 'conv'),
        node('Relu', ['c'], ['y'], {}, 'relu'),
      ],
      initializers: { w: randomFloat32([8, 4, 3, 3], 1) },
    }),
  );

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-threads-'));
  writeFileSync(join(dir, 'conv.onnx'), exportModel(convNet()));
  writeFileSync(join(dir, 'x.npy'), serializeNpy(randomFloat32([1, 4, 9, 9], 2)));
});

describe('kiln compile/run --threads', { timeout: 900_000 }, () => {
  it('compiles a threaded artifact, runs it on 2 threads and exits; outputs match the reference', () => {
    const art = join(dir, 'conv.kiln');
    const c = kiln(['compile', join(dir, 'conv.onnx'), '-o', art, '--threads', '2']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/model\.threads\.wasm .*default 2 threads/);
    const want = ReferenceSession.create(convNet()).run({
      x: parseNpy(readFileSync(join(dir, 'x.npy'))),
    })['y'] as Tensor;
    // no --threads: the artifact's default (2); the process must end on its own once it has run
    const out = join(dir, 'out');
    const r = kiln(['run', art, '-i', join(dir, 'x.npy'), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ran on wasm \((relaxed|simd), 2 threads\)/);
    const y = parseNpy(readFileSync(join(out, 'y.npy')));
    expect(compareTensors(y, want, { rtol: 1e-4, atol: 1e-5 })).toBeUndefined();
  });

  it('bad --threads values are refused with the expected range', () => {
    for (const bad of ['0', '65', '1.5', '', 'two'])
      expect(() => parseThreads(bad)).toThrow(new RegExp(`bad --threads '${bad}'.*an integer from 1 to 64`));
    expect(parseThreads('3')).toBe(3);
  });
});
