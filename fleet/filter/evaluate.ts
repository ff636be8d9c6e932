import type { Filter } from './ast.js';
import { compareVersions, parseVersionNumbers } from './versions.js';

/** What a filter sees of a device: operator-set tags and what the device reports about itself. */
export interface FilterSubject {
  name: string;
  group: string;
  target: string;
  runtimeVersion: string;
  features: readonly string[];
  tags: Readonly<Record<string, string>>;
}

/** A field's value, or undefined where the device has none (an absent tag or feature). */
function fieldValue(s: FilterSubject, field: string): string | undefined {
  if (field === 'target') return s.target;
  if (field === 'runtime') return s.runtimeVersion;
  if (field === 'name') return s.name;
  if (field === 'group') return s.group;
  if (field.startsWith('tag.')) {
    const key = field.slice(4);
    return Object.hasOwn(s.tags, key) ? s.tags[key] : undefined;
  }
  if (field.startsWith('feature.')) return s.features.includes(field.slice(8)) ? 'true' : undefined;
  return undefined; // parseFilter only lets the fields above through
}

/**
 * Does the device match? An absent field equals no value (`!=` is true, `==` and `in` false), and
 * an ordering comparison holds only when the field is a dotted version too.
 */
export function matches(f: Filter, s: FilterSubject): boolean {
  switch (f.kind) {
    case 'and':
      return matches(f.left, s) && matches(f.right, s);
    case 'or':
      return matches(f.left, s) || matches(f.right, s);
    case 'not':
      return !matches(f.operand, s);
    case 'in': {
      const v = fieldValue(s, f.field);
      return v !== undefined && f.values.includes(v);
    }
    case 'compare': {
      const v = fieldValue(s, f.field);
      if (f.op === '==') return v === f.value;
      if (f.op === '!=') return v !== f.value;
      const have = v === undefined ? undefined : parseVersionNumbers(v);
      if (!have) return false;
      const c = compareVersions(have, parseVersionNumbers(f.value)!);
      return f.op === '<' ? c < 0 : f.op === '<=' ? c <= 0 : f.op === '>' ? c > 0 : c >= 0;
    }
  }
}
