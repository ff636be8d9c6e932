import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BenchOptions, parseBenchOptions } from '../../bench/options.js';
import { roundsFor } from '../../bench/harness.js';
import { KilnError } from '../../runtime/errors.js';
import { serializeNpy } from '../../runtime/npy.js';
import { Tensor } from '../../runtime/tensor.js';

describe('kiln bench options', () => {
  it('defaults: wasm against ort-web and ort-node, 20 runs, 5 warm-up rounds, 1 thread', () => {
    expect(parseBenchOptions({})).toEqual({
      target: 'wasm',
      against: ['ort-web', 'ort-node'],
      runs: 20,
      warmup: 5,
      threads: 1,
      json: undefined,
      shapes: {},
      bind: new Map(),
    });
  });

  it('--bind NAME=FILE.npy reads the value to freeze; a bad spec is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-bind-'));
    try {
      const file = join(dir, 'sr.npy');
      writeFileSync(file, serializeNpy(new Tensor('int64', [], new BigInt64Array([16000n]))));
      const bind = parseBenchOptions({ bind: [`sr=${file}`] }).bind;
      expect([...bind.keys()]).toEqual(['sr']);
      expect(bind.get('sr')!.data).toEqual(new BigInt64Array([16000n]));
      expect(() => parseBenchOptions({ bind: ['sr'] })).toThrow(/--bind sr: not NAME=FILE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes comma lists and repeated flags, dropping duplicates', () => {
    expect(parseBenchOptions({ against: 'ort-node' }).against).toEqual(['ort-node']);
    expect(parseBenchOptions({ against: ['ort-node,ort-web', 'ort-node'] }).against).toEqual([
      'ort-node',
      'ort-web',
    ]);
    expect(parseBenchOptions({ runs: '3', warmup: '0', threads: '2', json: 'x.json' })).toMatchObject({
      runs: 3,
      warmup: 0,
      threads: 2,
      json: 'x.json',
    });
  });

  it("webgpu: against onnxruntime-web's WebGPU EP by default, any baseline on request", () => {
    expect(parseBenchOptions({ target: 'webgpu' })).toMatchObject({
      target: 'webgpu',
      against: ['ort-web-webgpu'],
    });
    expect(parseBenchOptions({ target: 'webgpu', against: 'ort-web-webgpu,ort-node' }).against).toEqual([
      'ort-web-webgpu',
      'ort-node',
    ]);
  });

  it.each([
    [{ target: 'cuda' }, /unknown --target 'cuda'.*expected: wasm, webgpu/],
    [{ target: 'webgpu', threads: '2' }, /--threads 2 with --target webgpu.*expected: --threads 1/],
    [{ against: 'ort-web,tflite' }, /unknown --against engine 'tflite'.*ort-web, ort-node, ort-web-webgpu/],
    [{ runs: '0' }, /bad --runs '0'.*integer >= 1/],
    [{ runs: '2.5' }, /bad --runs '2.5'/],
    [{ runs: 'ten' }, /bad --runs 'ten'/],
    [{ warmup: '-1' }, /bad --warmup '-1'.*integer >= 0/],
    [{ threads: '' }, /bad --threads ''/],
    [{ shape: ['x=1xa'] }, /bad --shape 'x=1xa'/],
  ])('refuses %o', (raw, message) => {
    expect(() => parseBenchOptions(raw)).toThrow(KilnError);
    expect(() => parseBenchOptions(raw)).toThrow(message);
  });

  it('a time budget lowers the round count from the warm-up rounds, never below 5', () => {
    const opts: BenchOptions = { ...parseBenchOptions({ runs: '20' }), budgetMs: 1000 };
    // one round = 10 + 40 ms -> 20 rounds fit in 1 s
    expect(
      roundsFor(opts, [
        [10, 10],
        [40, 40],
      ]),
    ).toBe(20);
    // one round = 200 ms -> 5 rounds
    expect(roundsFor(opts, [[100], [100]])).toBe(5);
    // one round = 1 s -> still 5
    expect(roundsFor(opts, [[500], [500]])).toBe(5);
    expect(roundsFor({ ...opts, budgetMs: undefined }, [[500], [500]])).toBe(20);
  });
});
