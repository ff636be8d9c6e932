/** Number ↔ string conversions for Cast. */
import type { DType } from '../../../../runtime/dtype.js';
import type { Node } from '../../../ir/graph.js';
import { opError } from '../common.js';
import { FLOATS, f64ToBfloat16, f64ToFloat16 } from './util.js';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * Parse a string for a numeric target: decimal or scientific notation, and (for float targets)
 * NaN and [+-]INF / INFINITY in any case, as onnxruntime accepts. Anything else is an error.
 */
export function parseNumber(node: Node, text: string, to: DType): number | bigint {
  const s = text.trim();
  if (FLOATS.includes(to)) {
    if (/^[+-]?nan$/i.test(s)) return NaN;
    if (/^[+-]?inf(inity)?$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (DECIMAL.test(s)) return Number(s);
  } else if (INTEGER.test(s)) {
    return to === 'int64' || to === 'uint64' ? BigInt(s) : Number(s);
  }
  throw opError(
    node,
    `cannot parse '${text}' as ${to}`,
    FLOATS.includes(to) ? 'a decimal number' : 'an integer',
  );
}

/** The shortest decimal string that reads back as `v` in the source type (like numpy's str). */
export function formatNumber(v: number | bigint, from: DType): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  const round =
    from === 'float32'
      ? Math.fround
      : from === 'float16'
        ? f64ToFloat16
        : from === 'bfloat16'
          ? f64ToBfloat16
          : undefined;
  if (!round) return String(v);
  for (let p = 1; p < 17; p++) {
    const s = Number(v.toPrecision(p));
    if (round(s) === v) return String(s);
  }
  return String(v);
}
