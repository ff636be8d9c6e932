import { emptyStats, mergeStats, recordValue } from './running-stats.js';
import { type ChannelBins, type ChannelStatsData, type InputStatsData, MAX_CHANNELS } from './types.js';

/** Numeric tensor data as the runtime holds it (bool as 0/1 bytes, int64 as bigint). */
export type NumericData = ArrayLike<number> | ArrayLike<bigint>;

/** Channels of an input: axis 1 of a rank ≥ 2 input with at most MAX_CHANNELS entries, else one. */
export function channelCount(dims: readonly number[]): number {
  return dims.length >= 2 && dims[1]! >= 1 && dims[1]! <= MAX_CHANNELS ? dims[1]! : 1;
}

/**
 * The bin of x over edges e (B = e.length − 1 bins): 0 is underflow (x < e[0]), B+1 overflow
 * (x > e[B]); bin k (1-based) holds e[k−1] ≤ x < e[k], the last bin also e[B].
 */
export function binIndex(edges: readonly number[], x: number): number {
  const b = edges.length - 1;
  if (x < edges[0]!) return 0;
  if (x > edges[b]!) return b + 1;
  let lo = 0;
  let hi = b; // largest k in [0, b) with edges[k] <= x
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return Math.min(lo, b - 1) + 1;
}

export function emptyChannel(bins?: ChannelBins): ChannelStatsData {
  return { ...emptyStats(), hist: bins ? new Array<number>(bins.edges.length + 1).fill(0) : [] };
}

/**
 * Adds one tensor's values to an input's per-channel statistics; `bins` (the baseline's edges per
 * channel) are used when their channel count matches. Non-finite values are skipped.
 */
export function recordInput(
  stats: InputStatsData,
  name: string,
  dims: readonly number[],
  data: NumericData,
  bins?: readonly ChannelBins[],
): void {
  const c = channelCount(dims);
  const useBins = bins && bins.length === c ? bins : undefined;
  let entry = stats[name];
  if (!entry || entry.channels.length !== c) {
    entry = { channels: Array.from({ length: c }, (_, i) => emptyChannel(useBins?.[i])) };
    stats[name] = entry;
  }
  let inner = 1;
  for (let i = 2; i < dims.length; i++) inner *= dims[i]!;
  for (let k = 0; k < data.length; k++) {
    const x = Number(data[k]);
    if (!Number.isFinite(x)) continue;
    const ch = c === 1 ? 0 : Math.floor(k / inner) % c;
    const s = entry.channels[ch]!;
    recordValue(s, x);
    const e = useBins?.[ch]?.edges;
    if (e && s.hist.length === e.length + 1) s.hist[binIndex(e, x)]!++;
  }
}

/** Adds b into a: exact stats merge; histograms add when both have the same bins. */
export function mergeChannel(a: ChannelStatsData, b: ChannelStatsData): ChannelStatsData {
  mergeStats(a, b);
  if (a.hist.length === 0) a.hist = [...b.hist];
  else if (b.hist.length === a.hist.length) for (let i = 0; i < a.hist.length; i++) a.hist[i]! += b.hist[i]!;
  return a;
}

export function mergeInputs(a: InputStatsData, b: InputStatsData): InputStatsData {
  for (const [name, input] of Object.entries(b)) {
    const mine = a[name];
    if (!mine) {
      a[name] = { channels: input.channels.map((ch) => ({ ...ch, hist: [...ch.hist] })) };
    } else if (mine.channels.length === input.channels.length) {
      input.channels.forEach((ch, i) => mergeChannel(mine.channels[i]!, ch));
    }
  }
  return a;
}
