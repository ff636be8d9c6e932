import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkIntegrity } from '../../registry/check.js';
import { Registry } from '../../registry/registry.js';
import { addVersion, listVersions } from '../../registry/versions.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { BACKENDS, dropTestDatabases, freshLocation, largeOnnx, suiteTitle, tinyOnnx } from './fixtures.js';

const WORKER = join(PROJECT_ROOT, 'test/registry/workers/add-versions.ts');

function startWorker(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: PROJECT_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Files in a folder tree (the blob store's sha256/ or tmp/). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(
    suiteTitle('registry writers in separate processes', backend),
    { timeout: 240_000 },
    () => {
      afterAll(dropTestDatabases);
      it('two processes adding versions to one model at once lose nothing', async () => {
        const loc = await freshLocation(backend);
        // create the schema first, so the race is over versions, not migrations
        await (await Registry.open(loc)).close();
        const file = join(loc.home, 'tiny.onnx');
        writeFileSync(file, tinyOnnx());
        const startAt = String(Date.now() + 6000); // both workers are loaded by then (tsx start-up)
        const count = 8;
        const workers = [0, 1].map(() =>
          startWorker([loc.home, loc.db ?? '-', 'shared', file, String(count), startAt]),
        );
        const results = await Promise.all(workers.map((w) => w.done));
        for (const r of results) expect(r.code, r.stderr).toBe(0);
        const got = results.map((r) => JSON.parse(r.stdout) as number[]);
        const all = got.flat().sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: 2 * count }, (_, i) => i + 1));
        const reg = await Registry.open(loc);
        try {
          const versions = await listVersions(reg, 'shared');
          expect(versions.map((v) => v.version)).toEqual(all);
          expect((await checkIntegrity(reg)).problems).toEqual([]);
        } finally {
          await reg.close();
        }
      });

      it('a writer killed with SIGKILL mid-add leaves the registry consistent and no half-written blob', async () => {
        const loc = await freshLocation(backend);
        const seed = await Registry.open(loc);
        await addVersion(seed, { name: 'big', source: tinyOnnx(), sourceName: 'small.onnx' });
        await seed.close();
        const file = join(loc.home, 'large.onnx');
        writeFileSync(file, largeOnnx(48));
        const tmp = join(loc.home, 'blobs/tmp');
        const objects = join(loc.home, 'blobs/sha256');
        const blobsBefore = filesUnder(objects).length;

        // 1. killed while the source streams into a temp file
        const w1 = startWorker([loc.home, loc.db ?? '-', 'big', file, '1', '0']);
        const sawTemp = await killWhen(w1.child, () =>
          filesUnder(tmp).some((f) => statSync(f, { throwIfNoEntry: false })?.size),
        );
        const r1 = await w1.done;
        expect(r1.signal, r1.stderr).toBe('SIGKILL');
        expect(sawTemp).toBe(true);
        expect(filesUnder(tmp).length).toBeGreaterThan(0); // the partial write is there ...
        expect(filesUnder(objects).length).toBe(blobsBefore); // ... and never under a blob name

        // 2. killed after the blob is complete, while the version is parsed and committed
        const w2 = startWorker([loc.home, loc.db ?? '-', 'big', file, '1', '0']);
        await killWhen(w2.child, () => filesUnder(objects).length > blobsBefore);
        const r2 = await w2.done;
        expect(r2.signal === 'SIGKILL' || r2.code === 0, r2.stderr).toBe(true);

        const reg = await Registry.open(loc); // opening removes the dead writers' temp files
        try {
          const report = await checkIntegrity(reg);
          expect(report.problems).toEqual([]);
          expect(report.temps).toEqual([]);
          for (const sha of filesUnder(objects).map((f) => f.split('/').at(-1)!)) {
            expect(await reg.blobs.verify(sha)).toBe(true);
          }
          const before = (await listVersions(reg, 'big')).map((v) => v.version);
          expect(before[0]).toBe(1);
          const next = await addVersion(reg, {
            name: 'big',
            source: tinyOnnx('Sigmoid'),
            sourceName: 'again.onnx',
          });
          expect(next.version).toBe(before.at(-1)! + 1);
          expect((await checkIntegrity(reg)).problems).toEqual([]);
        } finally {
          await reg.close();
        }
      });
    },
  );
}

/** Poll `ready` and SIGKILL the child the moment it holds; returns whether it held before the child exited. */
async function killWhen(child: ChildProcess, ready: () => boolean | undefined): Promise<boolean> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (ready()) {
      child.kill('SIGKILL');
      return true;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}
