import { KilnError } from '../runtime/errors.js';

/** Operator-set labels of a device (`site=berlin`), which dynamic groups filter on. */
export type Tags = Record<string, string>;

const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const MAX_VALUE = 256;
export const MAX_TAGS = 32;

export function checkTagKey(key: string): void {
  if (!TAG_KEY.test(key)) {
    throw new KilnError(`invalid tag key '${key}'`, {
      expected: 'letters, digits, . _ - (at most 63, starting with a letter or digit)',
    });
  }
}

/** Keys and values are checked one by one, so the error names the tag that is wrong. */
export function checkTags(tags: Tags): Tags {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new KilnError('tags must be an object of key → value strings');
  }
  for (const [key, value] of Object.entries(tags)) {
    checkTagKey(key);
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_VALUE) {
      throw new KilnError(`invalid value for tag '${key}'`, {
        expected: `a non-empty string of at most ${MAX_VALUE} characters (remove a tag instead of emptying it)`,
      });
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      throw new KilnError(`invalid value for tag '${key}': it contains a control character`, {
        expected: 'printable characters',
      });
    }
  }
  if (Object.keys(tags).length > MAX_TAGS) {
    throw new KilnError(`too many tags (${Object.keys(tags).length})`, { expected: `at most ${MAX_TAGS}` });
  }
  return tags;
}

/** `["site=berlin", "tier=edge"]` → {site: "berlin", tier: "edge"}; the first `=` splits. */
export function parseTagArgs(args: readonly string[]): Tags {
  const tags: Tags = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new KilnError(`invalid tag '${arg}'`, { expected: 'KEY=VALUE, e.g. site=berlin' });
    tags[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return checkTags(tags);
}

/** Stored as JSON with sorted keys, so equal tag sets are equal text. */
export function tagsJson(tags: Tags): string {
  return JSON.stringify(Object.fromEntries(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : 1))));
}
