import { randomUUID } from 'node:crypto';
import { recordInput } from '../telemetry/input-stats.js';
import { emptyLatency, recordLatency } from '../telemetry/latency-histogram.js';
import type { TelemetryBatch, TelemetryBins } from '../telemetry/types.js';

export interface RunningVersion {
  model: string;
  version: number;
  variantId: number;
}

/** What the recorder needs of a feed: onnxruntime's Tensor shape (dims, data, type). */
interface FeedTensor {
  dims: readonly number[];
  data: unknown;
  type?: string;
}

/**
 * The open batches of an agent, one per version run since the last drain: all it keeps in memory
 * (a fixed-size histogram and per-channel stats per input, whatever the number of calls).
 */
export class TelemetryRecorder {
  private open = new Map<string, TelemetryBatch>();

  constructor(private readonly clock: () => number = Date.now) {}

  record(
    v: RunningVersion,
    feeds: Record<string, unknown>,
    outcome: { ms: number } | { error: unknown },
    bins?: TelemetryBins,
  ): void {
    const key = `${v.model}@${v.version}#${v.variantId}`;
    let b = this.open.get(key);
    if (!b) {
      b = {
        id: randomUUID(),
        ...v,
        start: this.clock(),
        end: 0,
        runs: 0,
        errors: {},
        latency: emptyLatency(),
        inputs: {},
      };
      this.open.set(key, b);
    }
    b.runs++;
    if ('error' in outcome) {
      const kind = errorKind(outcome.error);
      b.errors[kind] = (b.errors[kind] ?? 0) + 1;
    } else {
      recordLatency(b.latency, Math.max(0, outcome.ms));
    }
    for (const [name, t] of Object.entries(feeds)) {
      if (!isNumericTensor(t)) continue;
      recordInput(b.inputs, name, t.dims, t.data as ArrayLike<number>, bins?.[name]?.channels);
    }
  }

  /** Closes the open batches (end = now) and hands them over. */
  drain(): TelemetryBatch[] {
    const end = this.clock();
    const out = [...this.open.values()].map((b) => ({ ...b, end }));
    this.open.clear();
    return out;
  }
}

function errorKind(err: unknown): string {
  if (err instanceof Error) return err.constructor.name || err.name || 'Error';
  return typeof err;
}

function isNumericTensor(t: unknown): t is FeedTensor {
  if (!t || typeof t !== 'object') return false;
  const f = t as FeedTensor;
  return (
    Array.isArray(f.dims) &&
    f.type !== 'string' &&
    (ArrayBuffer.isView(f.data) || (Array.isArray(f.data) && typeof f.data[0] !== 'string'))
  );
}
