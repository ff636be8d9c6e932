import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kilnNodeArgs } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/paths.js';

/**
 * A module-resolution hook that reports every import of the heavy back ends: binaryen (the wasm
 * compiler, ~1.5 s and hundreds of MB to load) and webgpu (Dawn).
 */
const HOOK = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(spec, ctx, next) {
  if (spec === 'binaryen' || spec === 'webgpu') process.stderr.write('HEAVY ' + spec + ' from ' + ctx.parentURL + '\\\\n');
  return next(spec, ctx);
}\`));
`;

function heavyImports(args: string[]): { code: number | null; heavy: string[]; stdout: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(HOOK)}`, ...kilnNodeArgs(args)],
    { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  return {
    code: r.status,
    heavy: r.stderr.split('\n').filter((l) => l.startsWith('HEAVY')),
    stdout: r.stdout,
  };
}

describe('kiln start-up loads no compiler it does not use', () => {
  it('--help and a command that compiles nothing import neither binaryen nor Dawn', () => {
    const help = heavyImports(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('compile');
    expect(help.heavy).toEqual([]);
    const ops = heavyImports(['ops', '--help']);
    expect(ops.code).toBe(0);
    expect(ops.heavy).toEqual([]);
  }, 300_000);

  it('the hook does see a compile (the test can fail)', () => {
    const r = heavyImports(['compile', '/nonexistent.onnx', '-o', '/tmp/kiln-startup-never.kiln']);
    expect(r.code).not.toBe(0);
    // the model is read before the compiler loads: a missing file is reported without binaryen
    expect(r.heavy).toEqual([]);
    const c = heavyImports(['conformance', '--backend', 'wasm', '/nonexistent-folder', '--quiet']);
    expect(c.heavy.some((l) => l.includes('binaryen'))).toBe(true);
  }, 300_000);
});
