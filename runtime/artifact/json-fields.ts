/**
 * Small checks for JSON read from a file. Each records a problem naming the field's path
 * (`target.name`, `inputs[0].shape[2]`, `files['weights.bin'].sha256`) and returns whether the
 * value is usable, so a validator reports every problem at once instead of the first.
 */
export class FieldProblems {
  readonly list: string[] = [];

  add(path: string, expected: string, got: unknown): false {
    this.list.push(`${path}: expected ${expected}, got ${describe(got)}`);
    return false;
  }

  object(v: unknown, path: string, fields: readonly string[]): v is Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.add(path, 'an object', v);
    for (const key of Object.keys(v)) {
      if (!fields.includes(key))
        this.list.push(`${join(path, key)}: unknown field (expected only ${fields.join(', ')})`);
    }
    return true;
  }

  record(v: unknown, path: string): v is Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.add(path, 'an object', v);
    return true;
  }

  array(v: unknown, path: string): v is unknown[] {
    return Array.isArray(v) || this.add(path, 'an array', v);
  }

  string(v: unknown, path: string, pattern?: RegExp, patternText?: string): v is string {
    if (typeof v !== 'string' || v === '') return this.add(path, patternText ?? 'a non-empty string', v);
    if (pattern && !pattern.test(v)) return this.add(path, patternText ?? `a string matching ${pattern}`, v);
    return true;
  }

  oneOf<T extends string | number>(v: unknown, path: string, values: readonly T[]): v is T {
    if (values.includes(v as T)) return true;
    return this.add(path, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v);
  }

  count(v: unknown, path: string): v is number {
    return (Number.isSafeInteger(v) && (v as number) >= 0) || this.add(path, 'a non-negative integer', v);
  }

  tolerance(v: unknown, path: string): v is number {
    return (
      (typeof v === 'number' && Number.isFinite(v) && v >= 0) || this.add(path, 'a finite number >= 0', v)
    );
  }

  /** Plain JSON all the way down, so what is written reads back the same (no NaN, undefined, Date). */
  json(v: unknown, path: string): boolean {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
    if (typeof v === 'number') return Number.isFinite(v) || this.add(path, 'a finite number', v);
    if (Array.isArray(v)) return v.map((x, i) => this.json(x, `${path}[${i}]`)).every(Boolean);
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.entries(v)
        .map(([k, x]) => this.json(x, join(path, k)))
        .every(Boolean);
    }
    return this.add(path, 'a JSON value', v);
  }

  /** Strings in an array must be distinct (names, features). */
  unique(values: readonly unknown[], path: string, what: string): void {
    const seen = new Set<unknown>();
    for (const v of values) {
      if (typeof v !== 'string') continue; // reported by the field's own check
      if (seen.has(v)) this.list.push(`${path}: ${what} ${describe(v)} appears twice`);
      seen.add(v);
    }
  }
}

export function join(path: string, key: string): string {
  const k = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return path ? path + k : k.replace(/^\./, '');
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  if (typeof v === 'number') return String(v); // JSON would print NaN as null
  const text = JSON.stringify(v);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
