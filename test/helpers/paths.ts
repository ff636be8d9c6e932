import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** shared/ sits beside the project (../shared); suites that need it skip when it is absent. */
export const SHARED = resolve(PROJECT_ROOT, '../shared');
export const TORCH_MODELS = resolve(SHARED, 'models/torch');
export const hasTorchModels = existsSync(TORCH_MODELS);
export const CONFORMANCE_ROOT = '/usr/share/libonnx-testdata/data';
export const hasConformanceData = existsSync(CONFORMANCE_ROOT);

/** A suite title that says why it is skipped when its data is absent. */
export function skipNote(what: string, path: string): string {
  return existsSync(path) ? what : `${what} (skipped: ${path} not found)`;
}
