import { FieldProblems } from '../runtime/artifact/json-fields.js';
import type { JsonValue } from '../runtime/artifact/manifest.js';
import { KilnError } from '../runtime/errors.js';

/** Metrics: a flat object of finite numbers (accuracy, loss, …), so `diff` can subtract them. */
export function checkMetrics(v: unknown, source = 'metrics'): Record<string, number> {
  if (v === undefined) return {};
  const problems: string[] = [];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) problems.push('expected an object');
  else {
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'number' || !Number.isFinite(x)) problems.push(`${k}: expected a finite number`);
    }
  }
  if (problems.length) {
    throw new KilnError(`invalid metrics: ${problems.join('; ')}`, {
      file: source,
      expected: 'a JSON object of numbers, e.g. {"accuracy": 0.91}',
    });
  }
  return v as Record<string, number>;
}

/** Params: any JSON object (hyper-parameters as the training run logged them). */
export function checkParams(v: unknown, source = 'params'): Record<string, JsonValue> {
  if (v === undefined) return {};
  const p = new FieldProblems();
  if (p.record(v, '')) p.json(v, 'params');
  if (p.list.length) {
    throw new KilnError(`invalid params: ${p.list.join('; ')}`, { file: source, expected: 'a JSON object' });
  }
  return v as Record<string, JsonValue>;
}

/** Tags: string keys to string values. */
export function checkTags(v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (
    typeof v !== 'object' ||
    v === null ||
    Array.isArray(v) ||
    !Object.values(v).every((x) => typeof x === 'string')
  ) {
    throw new KilnError('invalid tags', { expected: 'an object of strings, e.g. {"team": "vision"}' });
  }
  return v as Record<string, string>;
}
