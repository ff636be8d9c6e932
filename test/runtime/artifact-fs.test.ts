import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readArtifact, writeArtifact } from '../../runtime/artifact/artifact.js';
import { loadArtifactFile, saveArtifactFile } from '../../runtime/artifact/node-fs.js';
import { KilnError } from '../../runtime/errors.js';
import { sampleDraft, sampleFiles } from './artifact-fixture.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'kiln-artifact-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const build = () => writeArtifact({ manifest: sampleDraft(), files: sampleFiles() });

describe('saving and loading artifact files', () => {
  it('saves atomically and loads back, leaving no temp file', async () => {
    const path = join(dir, 'model.kiln');
    const bytes = await build();
    await saveArtifactFile(path, bytes);
    expect(readdirSync(dir)).toEqual(['model.kiln']);
    const got = await loadArtifactFile(path);
    expect(got.files).toEqual(sampleFiles());
  });

  it('replaces an existing artifact whole', async () => {
    const path = join(dir, 'model.kiln');
    writeFileSync(path, 'old content');
    const bytes = await build();
    await saveArtifactFile(path, bytes);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
  });

  it('a failed save leaves the old file untouched and no temp file behind', async () => {
    // the rename fails: the destination is a non-empty folder
    const path = join(dir, 'model.kiln');
    mkdirSync(path);
    writeFileSync(join(path, 'keep'), 'x');
    const err = await saveArtifactFile(path, await build()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KilnError);
    expect((err as KilnError).message).toMatch(/\[file .*model\.kiln\] could not save the artifact/);
    expect(readdirSync(dir)).toEqual(['model.kiln']);
    expect(readdirSync(path)).toEqual(['keep']);
    // and a folder that does not exist
    await expect(saveArtifactFile(join(dir, 'no/such/dir/m.kiln'), await build())).rejects.toThrow(KilnError);
  });

  it('loading a missing or corrupt file is a KilnError naming it', async () => {
    await expect(loadArtifactFile(join(dir, 'absent.kiln'))).rejects.toThrow(
      /\[file .*absent\.kiln\] could not read/,
    );
    const path = join(dir, 'cut.kiln');
    writeFileSync(path, (await build()).subarray(0, 2000));
    await expect(loadArtifactFile(path)).rejects.toThrow(/\[file .*cut\.kiln\] .*truncated/);
  });
});

const tool = (name: string) => spawnSync(name, ['--version']).status === 0;

describe.skipIf(!tool('tar') || !tool('sha256sum'))('standard tools read the format', () => {
  it('tar lists and unpacks an artifact, and sha256sum -c checks its manifest', async () => {
    const path = join(dir, 'model.kiln');
    await saveArtifactFile(path, await build());
    const list = spawnSync('tar', ['-tf', path], { encoding: 'utf8' });
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout.trim().split('\n')).toEqual([
      'manifest.json',
      'manifest.sha256',
      'kernels/empty.wgsl',
      'model.wasm',
      'selftest/inputs.bin',
      'selftest/outputs.bin',
      'weights.bin',
    ]);
    const out = join(dir, 'out');
    mkdirSync(out);
    expect(spawnSync('tar', ['-xf', path, '-C', out]).status).toBe(0);
    expect(new Uint8Array(readFileSync(join(out, 'weights.bin')))).toEqual(sampleFiles().get('weights.bin'));
    const check = spawnSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: out, encoding: 'utf8' });
    expect(check.stdout).toBe('manifest.json: OK\n');
  });

  it('reads an artifact repacked by GNU tar --format=ustar', async () => {
    const out = join(dir, 'out');
    mkdirSync(out);
    const original = await build();
    writeFileSync(join(dir, 'a.kiln'), original);
    spawnSync('tar', ['-xf', join(dir, 'a.kiln'), '-C', out]);
    const names = ['manifest.json', 'manifest.sha256', 'model.wasm', 'weights.bin', 'kernels/empty.wgsl'];
    names.push('selftest/inputs.bin', 'selftest/outputs.bin');
    const repacked = join(dir, 'b.kiln');
    const tar = spawnSync('tar', ['--format=ustar', '-cf', repacked, '-C', out, ...names], {
      encoding: 'utf8',
    });
    expect(tar.status, tar.stderr).toBe(0);
    const got = await readArtifact(new Uint8Array(readFileSync(repacked)));
    expect(got.files).toEqual(sampleFiles());
    expect(got.manifest).toEqual((await readArtifact(original)).manifest);
  });
});
