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
