import type { DType } from './dtype.js';
import { KilnError } from './errors.js';
import type { Tensor } from './tensor.js';

/**
 * A graph input whose value was frozen into the compiled artifact (`kiln compile --bind`): the code
 * was specialised for this value (shapes derived from it became static), so a run must be fed exactly
 * it. Recorded in the manifest as `boundInputs`; values are JSON-safe: int64/uint64 as decimal
 * strings (exact beyond 2^53), non-finite floats and -0 as strings, everything else as numbers.
 */
export interface BoundInput {
  name: string;
  dtype: DType;
  shape: number[];
  values: (number | string)[];
}

/** Bound values are shape operands (a handful of integers); a large tensor is not what --bind is for. */
export const MAX_BOUND_ELEMENTS = 4096;

/** The dtypes a value may be bound as (exactly comparable, JSON-encodable). */
export const BINDABLE_DTYPES: readonly DType[] = [
  'float32',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
];

/** The JSON-safe values of a tensor, as recorded for a bound input (same encoding on both sides). */
export function boundValues(t: Tensor): (number | string)[] {
  const out: (number | string)[] = [];
  for (const v of t.data as Iterable<number | bigint | string>) {
    if (typeof v === 'bigint' || typeof v === 'string') out.push(String(v));
    else if (!Number.isFinite(v) || Object.is(v, -0)) out.push(String(Object.is(v, -0) ? '-0' : v));
    else out.push(v);
  }
  return out;
}

/** Short rendering of values for messages: the first 16, then a count. */
export function formatBoundValues(values: readonly (number | string)[], shape: readonly number[]): string {
  const shown = values.slice(0, 16).join(', ');
  const more = values.length > 16 ? `, … (${values.length} values)` : '';
  return `[${shown}${more}] (dims [${shape.join(',')}])`;
}

/**
 * Throw a KilnError if a feed differs from the value its input was bound to at compile time:
 * computing with another value would use code (and shapes) specialised for the bound one.
 */
export function checkBoundFeeds(
  bound: readonly BoundInput[] | undefined,
  feeds: Readonly<Record<string, Tensor>> | ReadonlyMap<string, unknown>,
  file?: string,
): void {
  if (!bound) return;
  for (const b of bound) {
    const fed = (feeds instanceof Map ? feeds.get(b.name) : (feeds as Record<string, Tensor>)[b.name]) as
      Tensor | undefined;
    if (!fed) continue; // a missing feed is reported by the caller's own checks
    const values = fed.dtype === b.dtype ? boundValues(fed) : undefined;
    const same =
      values !== undefined &&
      fed.shape.length === b.shape.length &&
      fed.shape.every((d, i) => d === b.shape[i]) &&
      values.length === b.values.length &&
      values.every((v, i) => v === b.values[i]);
    if (same) continue;
    const given = values ? formatBoundValues(values, fed.shape) : `a ${fed.dtype} tensor`;
    throw new KilnError(
      `input '${b.name}' was bound at compile time to ${b.dtype} ${formatBoundValues(b.values, b.shape)}, ` +
        `but the run was given ${given}; the compiled code is specialised for the bound value`,
      {
        ...(file ? { file } : {}),
        expected: `the bound value, or an artifact compiled with this value bound (kiln compile --bind ${b.name}=FILE.npy)`,
      },
    );
  }
}
