import { KilnError } from '../runtime/errors.js';

/** Names the registry accepts: safe in URLs, file names and tar paths. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Aliases start with a letter, so `NAME@3` is always a version and `NAME@production` an alias. */
export const ALIAS_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

export interface VersionRef {
  name: string;
  /** A version number, an alias, or 'latest'. */
  ref: number | string;
}

export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name)) {
    throw new KilnError(`invalid model name '${name}'`, {
      expected: 'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 128',
    });
  }
  return name;
}

export function checkAliasName(alias: string): string {
  if (!ALIAS_NAME.test(alias) || alias === 'latest') {
    throw new KilnError(`invalid alias '${alias}'`, {
      expected: 'lower-case letters, digits, "_" and "-", starting with a letter (not "latest")',
    });
  }
  return alias;
}

/** `NAME@VERSION`, `NAME@ALIAS`, `NAME@latest`, or `NAME` (latest). */
export function parseVersionRef(text: string): VersionRef {
  const at = text.lastIndexOf('@');
  const name = checkModelName(at < 0 ? text : text.slice(0, at));
  const ref = at < 0 ? 'latest' : text.slice(at + 1);
  if (/^\d+$/.test(ref)) return { name, ref: Number(ref) };
  if (ref === 'latest' || ALIAS_NAME.test(ref)) return { name, ref };
  throw new KilnError(`invalid version reference '${text}'`, {
    expected: 'NAME@VERSION (a number), NAME@ALIAS or NAME@latest',
  });
}

export function formatRef(name: string, version: number): string {
  return `${name}@${version}`;
}
