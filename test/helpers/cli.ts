import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.js';

const BUILT_CLI = join(PROJECT_ROOT, 'dist/cli/main.js');

/**
 * The arguments for `node` that start `kiln <args>` in its own process, as a user runs it.
 * With KILN_TEST_CLI=dist (CI sets it right after `npm run build`) the built `dist/cli/main.js` runs:
 * it starts with ~2 s of CPU, where tsx transpiles the whole import graph on every start (~25 s of
 * CPU, which made process-spawning tests a large share of CI). Otherwise the sources run through
 * tsx, so a local run never tests a stale build.
 */
export function kilnNodeArgs(args: string[]): string[] {
  if (process.env.KILN_TEST_CLI === 'dist') {
    if (!existsSync(BUILT_CLI)) {
      throw new Error(`KILN_TEST_CLI=dist but ${BUILT_CLI} does not exist: run 'npm run build' first`);
    }
    return [BUILT_CLI, ...args];
  }
  return ['--import', 'tsx', join(PROJECT_ROOT, 'cli/main.ts'), ...args];
}

/**
 * Run `kiln <args>` to the end in its own process: exit code (-1 when it was killed, e.g. at the
 * timeout), stdout and stderr. The timeout is generous: a loaded 2-core machine can take minutes.
 */
export function runKiln(
  args: string[],
  timeoutMs = 600_000,
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, kilnNodeArgs(args), {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
