/** Entries every artifact has (or may have) besides the files its manifest lists. */
export const MANIFEST_PATH = 'manifest.json';
export const MANIFEST_HASH_PATH = 'manifest.sha256';
export const SIGNATURE_PATH = 'signature';
export const WEIGHTS_PATH = 'weights.bin';

const RESERVED = new Set([MANIFEST_PATH, MANIFEST_HASH_PATH, SIGNATURE_PATH]);
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Why `path` cannot name a file in an artifact, or undefined if it can. Paths are relative,
 * '/'-separated, made of [A-Za-z0-9._-] segments not starting with '.' or '-' (so no '..', no hidden
 * or option-like names), at most 100 bytes (one ustar name field), and not a reserved entry name.
 * Unpacking an artifact with any tool can then never write outside its folder.
 */
export function artifactPathProblem(path: string): string | undefined {
  if (RESERVED.has(path)) return `'${path}' is reserved for the container itself`;
  if (path.length === 0 || path.length > 100) return `'${path}' must be 1..100 characters`;
  if (!path.split('/').every((s) => SEGMENT.test(s))) {
    return `'${path}' must be '/'-separated segments of [A-Za-z0-9._-] not starting with '.' or '-'`;
  }
  return undefined;
}
