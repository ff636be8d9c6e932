/** What a device request was, from its method and path. */
export type RequestKind = 'poll' | 'report' | 'telemetry' | 'download' | 'enroll' | 'other';

export function requestKind(method: string, url: string): RequestKind {
  const path = url.replace(/\?.*$/, '');
  if (path.endsWith('/desired')) return 'poll';
  if (path.endsWith('/reports')) return 'report';
  if (path.endsWith('/telemetry')) return 'telemetry';
  if (path.endsWith('/enroll')) return 'enroll';
  if (method === 'GET' && (path.endsWith('/artifact') || path.endsWith('/signature'))) return 'download';
  return 'other';
}

/** Exact quantile (nearest rank) of unsorted samples; undefined when there are none. */
export function quantile(samples: readonly number[], q: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Counts of every device request by kind, latencies of those made while `measuring` (the measured
 * phase), and failures by message. Network drops the simulator injected are counted apart: they
 * are expected, everything else is not.
 */
export class TrafficStats {
  measuring = false;
  readonly requests: Record<RequestKind, number> = {
    poll: 0,
    report: 0,
    telemetry: 0,
    download: 0,
    enroll: 0,
    other: 0,
  };
  /** Telemetry batches in accepted uploads (parsed from the request bodies). */
  telemetryBatches = 0;
  readonly latencyMs: Record<RequestKind, number[]> = {
    poll: [],
    report: [],
    telemetry: [],
    download: [],
    enroll: [],
    other: [],
  };
  injectedDrops = 0;
  /** Failed requests (transport errors and HTTP 5xx) by kind and message. */
  readonly failures = new Map<string, number>();

  record(kind: RequestKind, ms: number): void {
    this.requests[kind]++;
    if (this.measuring) this.latencyMs[kind].push(ms);
  }

  fail(kind: RequestKind, message: string): void {
    const key = `${kind}: ${message}`;
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
  }
}
