/** protobufjs hands int64 fields over as Long objects (or numbers); convert them exactly. */
export interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

export type Int64Field = number | LongLike | null | undefined;

export function int64ToBigInt(v: Int64Field, unsigned = false): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  const big = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? big : BigInt.asIntN(64, big);
}

/** As a JS number (exact up to 2^53; larger values round, as attribute ints do in the IR). */
export function int64ToNumber(v: Int64Field, unsigned = false): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  return Number(int64ToBigInt(v, unsigned));
}

/** A protobufjs-compatible Long-shaped value for writing (values beyond int64 saturate). */
export function numberToInt64(n: number | bigint): LongLike | number {
  let b =
    typeof n === 'bigint'
      ? n
      : Number.isFinite(n)
        ? BigInt(Math.trunc(n))
        : n > 0
          ? 2n ** 63n - 1n
          : -(2n ** 63n);
  const max = 2n ** 63n - 1n;
  const min = -(2n ** 63n);
  if (b > max) b = max;
  if (b < min) b = min;
  if (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(b);
  const u = BigInt.asUintN(64, b);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: false };
}

export function uint64ToField(n: bigint): LongLike | number {
  const u = BigInt.asUintN(64, n);
  if (u <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(u);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: true };
}
