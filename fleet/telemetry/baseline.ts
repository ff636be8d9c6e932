import { KilnError } from '../../runtime/errors.js';
import { type NumericData, binIndex, channelCount } from './input-stats.js';
import { BASELINE_BINS, type Baseline, type ChannelBaseline, type TelemetryBins } from './types.js';

export interface BaselineSample {
  dims: readonly number[];
  data: NumericData;
}

/**
 * A version's baseline from sample data (per input: samples stacked on axis 0): per channel its
 * statistics, B bin edges at the data's quantiles (or, with at most B distinct values, midway
 * between them, so discrete inputs get one bin per value) and the data's own bin counts.
 */
export function computeBaseline(
  model: string,
  version: number,
  source: Baseline['source'],
  inputs: Record<string, BaselineSample>,
  bins = BASELINE_BINS,
  createdAt = new Date().toISOString(),
): Baseline {
  const out: Baseline = { model, version, source, createdAt, inputs: {} };
  for (const [name, sample] of Object.entries(inputs)) {
    const n = sample.dims.reduce((a, d) => a * d, 1);
    if (!sample.dims.every((d) => Number.isInteger(d) && d >= 0) || n !== sample.data.length) {
      throw new KilnError(
        `baseline input '${name}' has ${sample.data.length} values for dims [${sample.dims.join(', ')}]`,
        {
          expected: 'dims whose product is the number of values (samples stacked on axis 0)',
        },
      );
    }
    const c = channelCount(sample.dims);
    let inner = 1;
    for (let i = 2; i < sample.dims.length; i++) inner *= sample.dims[i]!;
    const values: number[][] = Array.from({ length: c }, () => []);
    for (let k = 0; k < n; k++) {
      const x = Number(sample.data[k]);
      if (Number.isFinite(x)) values[c === 1 ? 0 : Math.floor(k / inner) % c]!.push(x);
    }
    out.inputs[name] = { channels: values.map((v, i) => channelBaseline(v, bins, `${name} channel ${i}`)) };
  }
  return out;
}

function channelBaseline(values: number[], bins: number, what: string): ChannelBaseline {
  if (values.length === 0) {
    throw new KilnError(`baseline data for ${what} has no finite values`, {
      expected: 'at least one sample',
    });
  }
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let sum = 0;
  for (const x of sorted) sum += x;
  const mean = sum / n;
  let m2 = 0;
  for (const x of sorted) m2 += (x - mean) ** 2;
  const edges = edgesOf(sorted, bins);
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const x of sorted) counts[binIndex(edges, x)]!++;
  return {
    count: n,
    mean,
    std: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    edges,
    counts,
  };
}

function edgesOf(sorted: Float64Array, bins: number): number[] {
  const n = sorted.length;
  const distinct: number[] = [];
  for (const x of sorted) if (distinct.at(-1) !== x) distinct.push(x);
  if (distinct.length === 1) return [distinct[0]!, distinct[0]!];
  if (distinct.length <= bins) {
    const mids = distinct.slice(1).map((x, i) => (distinct[i]! + x) / 2);
    return [distinct[0]!, ...mids, distinct.at(-1)!];
  }
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) {
    const e = sorted[Math.min(n - 1, Math.round((i / bins) * (n - 1)))]!;
    if (edges.length === 0 || e > edges.at(-1)!) edges.push(e);
  }
  if (edges.length === 1) edges.push(edges[0]!);
  return edges;
}

/** The part of a baseline the agent needs: the edges per input channel. */
export function binsOf(b: Baseline): TelemetryBins {
  const out: TelemetryBins = {};
  for (const [name, input] of Object.entries(b.inputs)) {
    out[name] = { channels: input.channels.map((c) => ({ edges: c.edges })) };
  }
  return out;
}
