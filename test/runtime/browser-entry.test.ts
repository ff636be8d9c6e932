import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';

describe('browser entry (runtime/index.ts)', () => {
  it('bundles for the browser with no Node built-in and nothing from compiler/', async () => {
    // platform 'browser' makes any import of a Node built-in (node:fs, fs, …) a build error
    const result = await build({
      entryPoints: [join(PROJECT_ROOT, 'runtime/index.ts')],
      absWorkingDir: PROJECT_ROOT,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('runtime/inference-session.ts');
    expect(inputs.filter((p) => !p.startsWith('runtime/'))).toEqual([]);
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const imported = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imported.filter((p) => builtins.has(p))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\brequire\(/);
  });
});
