import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readArtifact, writeArtifact } from '../../runtime/artifact/artifact.js';
import { canonicalJson } from '../../runtime/artifact/canonical-json.js';
import { type KilnManifest, manifestProblems, validateManifest } from '../../runtime/artifact/manifest.js';
import { sha256Hex } from '../../runtime/artifact/sha256.js';
import { packTar, unpackTar } from '../../runtime/artifact/tar.js';
import { KilnError } from '../../runtime/errors.js';
import { seededRandom } from '../helpers/random.js';
import { packWithManifest, sampleDraft, sampleFiles } from './artifact-fixture.js';

const build = () => writeArtifact({ manifest: sampleDraft(), files: sampleFiles() });

/** The error readArtifact throws, or a test failure if it reads the bytes. */
async function readError(bytes: Uint8Array): Promise<KilnError> {
  try {
    await readArtifact(bytes, { file: 'm.kiln' });
  } catch (err) {
    if (!(err instanceof KilnError)) throw new Error(`expected a KilnError, got ${String(err)}`);
    return err;
  }
  throw new Error('the artifact was read without error');
}

describe('artifact round trip', () => {
  it('reads back the manifest, every file and the signature', async () => {
    const signature = new Uint8Array(64).fill(7);
    const bytes = await writeArtifact({ manifest: sampleDraft(), files: sampleFiles(), signature });
    expect(bytes.length % 512).toBe(0);
    const got = await readArtifact(bytes);
    const files = sampleFiles();
    expect(got.files).toEqual(files);
    expect(got.signature).toEqual(signature);
    expect(got.manifest).toEqual({
      ...sampleDraft(),
      files: Object.fromEntries(
        await Promise.all(
          [...files].map(async ([p, d]) => [p, { sha256: await sha256Hex(d), bytes: d.length }]),
        ),
      ),
    });
    expect(new TextDecoder().decode(got.manifestBytes)).toBe(canonicalJson(got.manifest));
  });

  it('is byte-for-byte reproducible, so a signature over manifest.json survives a rewrite', async () => {
    const first = await build();
    expect(await build()).toEqual(first);
    const read = await readArtifact(first);
    const rewritten = await writeArtifact({ manifest: read.manifest, files: read.files });
    expect(rewritten).toEqual(first);
  });

  it('has no signature entry unless one is given', async () => {
    const got = await readArtifact(await build());
    expect(got.signature).toBeUndefined();
    expect(unpackTar(await build()).map((e) => e.path)).toEqual([
      'manifest.json',
      'manifest.sha256',
      'kernels/empty.wgsl',
      'model.wasm',
      'selftest/inputs.bin',
      'selftest/outputs.bin',
      'weights.bin',
    ]);
  });
});

describe('corruption is always caught', () => {
  it('flipping the low bit of any single byte of the artifact fails with a KilnError', async () => {
    const good = await build();
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i]! ^= 0x01;
      const err = await readError(bad).catch((e: Error) => {
        throw new Error(`byte ${i}: ${e.message}`);
      });
      expect(err.message).toContain('m.kiln');
    }
  });

  it('an edited byte anywhere in a file or the manifest is reported against that entry', async () => {
    const good = await build();
    const rng = seededRandom(7);
    for (const entry of unpackTar(good)) {
      if (entry.data.length === 0) continue; // nothing to edit; its header is covered above
      const start = entry.data.byteOffset - good.byteOffset;
      const samples = new Set([0, entry.data.length - 1]);
      while (samples.size < Math.min(40, entry.data.length))
        samples.add(Math.floor(rng() * entry.data.length));
      for (const k of samples) {
        const bad = good.slice();
        bad[start + k]! ^= 1 + Math.floor(rng() * 255);
        const err = await readError(bad);
        const named = entry.path === 'manifest.sha256' ? 'manifest.json' : entry.path;
        expect(err.message, `${entry.path} byte ${k}`).toContain(named);
      }
    }
  });

  it('truncation at any point fails clearly', async () => {
    const good = await build();
    const cuts = new Set<number>([0, 1, 511, 512, good.length - 1024, good.length - 513, good.length - 1]);
    for (let i = 0; i < good.length; i += 37) cuts.add(i);
    for (let i = 0; i < good.length; i += 512) cuts.add(i);
    for (const cut of cuts) {
      const err = await readError(good.subarray(0, cut));
      expect(err.message, `cut at ${cut}`).toMatch(/truncated|empty/);
    }
  });

  it('refuses data after the end-of-archive marker', async () => {
    const good = await build();
    const longer = new Uint8Array(good.length + 512);
    longer.set(good);
    expect((await readArtifact(longer)).files.size).toBe(5); // zero blocks after the end: fine (tar pads so)
    longer[good.length + 3] = 1;
    expect((await readError(longer)).message).toMatch(/after the end-of-archive marker/);
  });
});

describe('entries', () => {
  const entriesOf = async () => {
    const read = await readArtifact(await build());
    return { manifest: read.manifest, files: [...read.files].map(([path, data]) => ({ path, data })) };
  };

  it('a listed file that is missing fails, naming it', async () => {
    const { manifest, files } = await entriesOf();
    const bad = await packWithManifest(
      manifest,
      files.filter((f) => f.path !== 'weights.bin'),
    );
    expect((await readError(bad)).message).toMatch(/entry 'weights.bin' listed in manifest.json is missing/);
  });

  it('an unlisted file fails, naming it', async () => {
    const { manifest, files } = await entriesOf();
    const bad = await packWithManifest(manifest, [...files, { path: 'extra.bin', data: new Uint8Array(3) }]);
    expect((await readError(bad)).message).toMatch(/entry 'extra.bin' is not listed/);
    // a name an object inherits is not "listed" either
    const proto = await packWithManifest(manifest, [
      ...files,
      { path: 'constructor', data: new Uint8Array(1) },
    ]);
    expect((await readError(proto)).message).toMatch(/entry 'constructor' is not listed/);
  });

  it('a file of the wrong size or content fails with what was expected', async () => {
    const { manifest, files } = await entriesOf();
    const resized = files.map((f) => (f.path === 'model.wasm' ? { ...f, data: f.data.subarray(1) } : f));
    expect((await readError(await packWithManifest(manifest, resized))).message).toMatch(
      /entry 'model.wasm' is 511 bytes \(expected: 512 bytes\)/,
    );
    const edited = files.map((f) =>
      f.path === 'weights.bin' ? { ...f, data: f.data.map((b) => b ^ 1) } : f,
    );
    expect((await readError(await packWithManifest(manifest, edited))).message).toMatch(
      /entry 'weights.bin' is corrupt: its sha256 is [0-9a-f]{64} \(expected: sha256 [0-9a-f]{64}\)/,
    );
  });

  it('a duplicate entry, a wrong first entry, or a non-tar file fails', async () => {
    const { manifest, files } = await entriesOf();
    const dup = await packWithManifest(manifest, [...files, files[0]!]);
    expect((await readError(dup)).message).toMatch(/appears twice/);
    const noManifest = packTar(files, 0);
    expect((await readError(noManifest)).message).toMatch(/not a kiln artifact: it starts with/);
    const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff);
    expect((await readError(random)).message).toMatch(/checksum does not match/);
  });
});

describe('manifest validation names the field', () => {
  const full = async (): Promise<KilnManifest> => (await readArtifact(await build())).manifest;
  const edits: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    ['format', (m) => (m.format = 'onnx'), /format: expected "kiln-artifact", got "onnx"/],
    [
      'future version',
      (m) => (m.formatVersion = 2),
      /formatVersion: expected 1 \(the only version this Kiln reads\), got 2/,
    ],
    ['kilnVersion', (m) => (m.kilnVersion = 'latest'), /kilnVersion: expected a semver version/],
    ['createdAt', (m) => (m.createdAt = '2026-13-45T99:00:00Z'), /createdAt: expected a real date/],
    [
      'source.sha256',
      (m) => ((m.source as { sha256: string }).sha256 = 'XYZ'),
      /source\.sha256: expected 64 lowercase hex/,
    ],
    [
      'target.name',
      (m) => ((m.target as { name: string }).name = 'cuda'),
      /target\.name: expected one of "wasm", "webgpu", "jetson", got "cuda"/,
    ],
    [
      'target.features',
      (m) => ((m.target as { features: string[] }).features = ['simd128', 'simd128']),
      /target\.features: feature "simd128" appears twice/,
    ],
    ['precision', (m) => (m.precision = 'fp8'), /precision: expected one of "fp32", "fp16", "int8"/],
    [
      'inputs dtype',
      (m) => ((m.inputs as { dtype: string }[])[0]!.dtype = 'float128'),
      /inputs\[0\]\.dtype: expected one of/,
    ],
    [
      'inputs shape',
      (m) => ((m.inputs as { shape: unknown[] }[])[0]!.shape[1] = -3),
      /inputs\[0\]\.shape\[1\]: expected a non-negative integer, got -3/,
    ],
    ['no outputs', (m) => (m.outputs = []), /outputs: expected at least one tensor/],
    [
      'file hash',
      (m) => ((m.files as Record<string, { sha256: string }>)['model.wasm']!.sha256 = 'abc'),
      /files\["model\.wasm"\]\.sha256: expected 64 lowercase hex/,
    ],
    [
      'file path',
      (m) => ((m.files as Record<string, unknown>)['../evil'] = { sha256: 'a'.repeat(64), bytes: 1 }),
      /files\["\.\.\/evil"\]: '\.\.\/evil' must be/,
    ],
    [
      'no weights',
      (m) => delete (m.files as Record<string, unknown>)['weights.bin'],
      /files\["weights\.bin"\]: expected an entry/,
    ],
    [
      'arena',
      (m) => ((m.arena as { bytes: number }).bytes = 1e9),
      /arena\.bytes: expected at most arena\.naiveBytes \(16384\)/,
    ],
    [
      'kernel op',
      (m) => ((m.kernels as { op?: string }[])[1]!.op = undefined),
      /kernels\[1\]\.op: expected a non-empty string, got nothing/,
    ],
    [
      'kernel names',
      (m) => ((m.kernels as { name: string }[])[1]!.name = 'k0'),
      /kernels: name "k0" appears twice/,
    ],
    [
      'selfTest path',
      (m) => ((m.selfTest as { inputs: string }).inputs = 'nope.bin'),
      /selfTest\.inputs: expected a path listed in files, got "nope\.bin"/,
    ],
    [
      'selfTest tolerance',
      (m) => ((m.selfTest as { atol: number }).atol = -1),
      /selfTest\.atol: expected a finite number >= 0/,
    ],
    ['unknown field', (m) => (m.extra = 1), /extra: unknown field/],
    ['compiler', (m) => (m.compiler = 'fast'), /compiler: expected an object/],
  ];

  it.each(edits)('%s', async (_name, edit, message) => {
    const m = structuredClone(await full()) as unknown as Record<string, unknown>;
    edit(m);
    expect(manifestProblems(m).join('; ')).toMatch(message);
    expect(() => validateManifest(m, 'x.kiln')).toThrow(KilnError);
    // and the same through a whole artifact, whose container hash is intact
    const read = await readArtifact(await build());
    const bad = await packWithManifest(
      m,
      [...read.files].map(([path, data]) => ({ path, data })),
    );
    const err = await readError(bad);
    expect(err.message).toMatch(/^\[file m\.kiln\] manifest\.json is not a valid kiln manifest: /);
    expect(err.message).toMatch(message);
  });

  it('accepts the full sample and one without the optional selfTest', async () => {
    const m = await full();
    expect(manifestProblems(m)).toEqual([]);
    const { selfTest: _omit, ...rest } = m;
    expect(manifestProblems(rest)).toEqual([]);
  });

  it('writeArtifact refuses an invalid draft or a bad file path before writing anything', async () => {
    const draft = { ...sampleDraft(), precision: 'fp64' as KilnManifest['precision'] };
    await expect(writeArtifact({ manifest: draft, files: sampleFiles() })).rejects.toThrow(
      /precision: expected one of/,
    );
    const files = sampleFiles().set('/etc/passwd', new Uint8Array(1));
    await expect(writeArtifact({ manifest: sampleDraft(), files })).rejects.toThrow(
      /'\/etc\/passwd' must be/,
    );
    const nan = { ...sampleDraft(), compiler: { tile: { m: NaN } } };
    await expect(writeArtifact({ manifest: nan, files: sampleFiles() })).rejects.toThrow(
      /compiler\.tile\.m: expected a finite number, got NaN/,
    );
    const date = { ...sampleDraft(), compiler: { when: new Date() as unknown as string } };
    await expect(writeArtifact({ manifest: date, files: sampleFiles() })).rejects.toThrow(
      /compiler\.when: expected a JSON value/,
    );
    const reserved = sampleFiles().set('signature', new Uint8Array(1));
    await expect(writeArtifact({ manifest: sampleDraft(), files: reserved })).rejects.toThrow(/reserved/);
  });
});

/** esbuild comes with vite and tsx; if it is ever missing, the source scan below still runs. */
const esbuild = await import('esbuild').catch(() => undefined);

describe('the core runs in browsers', () => {
  it.skipIf(!esbuild)(
    'bundles for the browser and works from the bundle; node-fs.ts does not bundle',
    async () => {
      const bundle = (entry: string) =>
        esbuild!.build({
          entryPoints: [join(import.meta.dirname, '../../runtime/artifact', entry)],
          bundle: true,
          platform: 'browser',
          format: 'esm',
          write: false,
          logLevel: 'silent',
        });
      await expect(bundle('node-fs.ts')).rejects.toThrow(/node:/);
      const code = (await bundle('index.ts')).outputFiles[0]!.text;
      const core = (await import(
        `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
      )) as typeof import('../../runtime/artifact/index.js');
      const bytes = await core.writeArtifact({ manifest: sampleDraft(), files: sampleFiles() });
      expect(bytes).toEqual(await build());
      expect((await core.readArtifact(bytes)).files).toEqual(sampleFiles());
    },
  );

  it('imports no Node built-ins and nothing from compiler/ (node-fs.ts aside)', () => {
    const dir = join(import.meta.dirname, '../../runtime/artifact');
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'node-fs.ts')) {
      const source = readFileSync(join(dir, name), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const spec of imports) expect(spec, name).toMatch(/^\.\.?\//);
      for (const spec of imports) expect(spec, name).not.toMatch(/compiler\//);
      expect(source, name).not.toMatch(/\b(process|Buffer|require)\b[.(]/);
    }
  });
});
