/**
 * Bundles the page script (main.ts, with Kiln's browser runtime) into dist/main.js with esbuild:
 * `npm run example:webgpu`. The test calls `buildExample()` itself.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const EXAMPLE_DIR = dirname(fileURLToPath(import.meta.url));

/** Writes dist/main.js under `outDir` (default: this folder's dist/) and returns its path. */
export async function buildExample(outDir = join(EXAMPLE_DIR, 'dist')): Promise<string> {
  const outfile = join(outDir, 'main.js');
  await build({
    entryPoints: [join(EXAMPLE_DIR, 'main.ts')],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildExample();
  console.log(`wrote ${out}`);
}
