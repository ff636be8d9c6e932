/**
 * The telemetry contract shared by the device agent, the fleet server, the simulator and Studio:
 * what a device sends, what the server stores and returns. Pure data, no I/O. See docs/monitoring.md.
 */

/**
 * Upper bounds (ms, inclusive) of the latency histogram's buckets: 10 per decade from 0.01 ms to
 * 100 s (71 bounds, rounded to 4 significant digits so every process computes the same numbers).
 * A histogram has `LATENCY_BOUNDS_MS.length + 1` counts; the last one counts samples above 100 s.
 * Bucket i holds samples with bounds[i-1] < ms <= bounds[i]. Fixed bounds make merging exact.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Array.from({ length: 71 }, (_, i) =>
  Number((10 ** (i / 10 - 2)).toPrecision(4)),
);
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** Latency histogram as sent and stored: `counts.length === LATENCY_BUCKETS`. */
export interface LatencyHistogramData {
  counts: number[];
  /** Sum of all samples in ms (for the mean). */
  sumMs: number;
}

/** Running statistics of one channel (Welford / Chan et al.; merged exactly). */
export interface RunningStatsData {
  count: number;
  mean: number;
  /** Sum of squared deviations from the mean: variance = m2 / (count - 1). */
  m2: number;
  /** min/max are null while count is 0 (JSON has no Infinity). */
  min: number | null;
  max: number | null;
}

/**
 * One channel's statistics in a batch: running stats plus counts over the baseline's bins
 * `[underflow, bin 0 … bin B-1, overflow]` (length B+2), or `[]` when the device had no baseline
 * bins for this version.
 */
export interface ChannelStatsData extends RunningStatsData {
  hist: number[];
}

/** Per input name: its channels (axis 1 of rank ≥ 2 inputs with at most MAX_CHANNELS, else one). */
export type InputStatsData = Record<string, { channels: ChannelStatsData[] }>;

/** Inputs with more than this many entries on axis 1 are summarised as one channel. */
export const MAX_CHANNELS = 64;
/** Bins per channel a baseline computes (quantile edges, so each holds ~1/B of the baseline data). */
export const BASELINE_BINS = 10;

/** One device's telemetry for one model version over [start, end) (epoch ms, device clock). */
export interface TelemetryBatch {
  /** A UUID; the server ignores a batch id it has seen, so resending is safe. */
  id: string;
  model: string;
  version: number;
  variantId: number;
  start: number;
  end: number;
  /** Inference calls (successful + failed). */
  runs: number;
  /** Failed calls by kind (the error's class name, e.g. `KilnError`, or `non-finite-output`). */
  errors: Record<string, number>;
  /** Latency of successful calls. */
  latency: LatencyHistogramData;
  inputs: InputStatsData;
}

/** `POST /fleet/v1/devices/:deviceId/telemetry` body. */
export interface TelemetryUpload {
  batches: TelemetryBatch[];
  /** Batches this device dropped (spool over its cap) since its last accepted upload. */
  dropped: number;
}

/** The histogram edges of one channel: B+1 increasing numbers (lo = edges[0], hi = edges[B]). */
export interface ChannelBins {
  edges: number[];
}

/** What the agent needs to bin inputs of a version: per input, per channel, the edges. */
export type TelemetryBins = Record<string, { channels: ChannelBins[] }>;

/** How often agents send telemetry unless the server says otherwise. */
export const DEFAULT_TELEMETRY_INTERVAL_MS = 10_000;

/** Added to the desired state (`GET /devices/:id/desired` → `telemetry`). */
export interface TelemetryConfig {
  /** How often the agent sends a batch. */
  intervalMs: number;
  /** Bins for the desired version's inputs, absent when the version has no baseline. */
  bins?: TelemetryBins;
}

/** A baseline channel: its statistics, the bin edges and the baseline data's own counts (B+2). */
export interface ChannelBaseline {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  edges: number[];
  /** `[underflow, bins…, overflow]` of the baseline data itself (under/overflow are 0). */
  counts: number[];
}

/** A version's baseline input statistics. */
export interface Baseline {
  model: string;
  version: number;
  /** `data`: sample data uploaded for the version (the only source; see docs/monitoring.md). */
  source: 'data';
  createdAt: string;
  inputs: Record<string, { channels: ChannelBaseline[] }>;
}

/** `PUT /fleet/v1/monitoring/baselines/:model/:version` body: samples stacked on axis 0 per input. */
export interface BaselineUpload {
  inputs: Record<string, { dims: number[]; data: number[] }>;
}

/** Drift of one input channel against the baseline. */
export interface ChannelDrift {
  input: string;
  channel: number;
  /** Live values in the compared window. */
  count: number;
  mean: number | null;
  baselineMean: number;
  /** Population stability index over the baseline bins (null: too few values on either side). */
  psi: number | null;
  /** Chi-square homogeneity test p-value (baseline counts vs live counts). */
  pValue: number | null;
  /** psi ≥ DRIFT_PSI_THRESHOLD and pValue < DRIFT_P_THRESHOLD. */
  drifted: boolean;
}

/** PSI at or above this raises a drift alert (the usual convention: < 0.1 stable, 0.1–0.2 moderate). */
export const DRIFT_PSI_THRESHOLD = 0.2;
/** …and only when the chi-square test also rejects "same distribution" below this p-value. */
export const DRIFT_P_THRESHOLD = 0.001;
/** Fewer live (or baseline) values than this in a channel: no drift figure. */
export const DRIFT_MIN_COUNT = 100;

/** `GET /fleet/v1/monitoring/versions/:model/:version` → one window. */
export interface MonitoringWindow {
  start: number;
  end: number;
  runs: number;
  errors: Record<string, number>;
  /** errors total / runs (0 when no runs). */
  errorRate: number;
  latency: {
    count: number;
    meanMs: number | null;
    p50: number | null;
    p95: number | null;
    p99: number | null;
  };
  /** Drift per input channel in this window (empty when the version has no baseline). */
  drift: ChannelDrift[];
  /** Devices that sent telemetry in this window. */
  devices: number;
}

export interface VersionSeries {
  model: string;
  version: number;
  group: string | null;
  since: number;
  until: number;
  step: number;
  windows: MonitoringWindow[];
}

/** `GET /fleet/v1/monitoring/drift` */
export interface CurrentDrift {
  model: string;
  version: number;
  group: string | null;
  since: number;
  until: number;
  baseline: { source: Baseline['source']; createdAt: string } | null;
  channels: ChannelDrift[];
}

/** `GET /fleet/v1/monitoring/versions` → one entry per model version and group with telemetry. */
export interface MonitoredVersion {
  model: string;
  version: number;
  group: string;
  runs: number;
  errors: number;
  devices: number;
  /** Epoch ms of the newest batch end. */
  lastAt: number;
}

export type AlertKind = 'drift' | 'latency_regression' | 'error_rate_regression';
export type AlertState = 'open' | 'acked';

export interface Alert {
  id: number;
  kind: AlertKind;
  model: string;
  version: number;
  group: string;
  /** drift only */
  input?: string;
  channel?: number;
  /** The measured figure (PSI; error-rate increase; p95 ratio) and the threshold it crossed. */
  value: number;
  threshold: number;
  message: string;
  createdAt: string;
  state: AlertState;
  ackedBy?: string;
  ackedAt?: string;
}

/** Regression thresholds (defaults; a deployment may set its own). */
export const DEFAULT_MAX_ERROR_RATE_INCREASE = 0.05;
export const DEFAULT_MAX_P95_RATIO = 1.5;
/** Runs each version needs in the compared window before a regression is judged. */
export const REGRESSION_MIN_RUNS = 20;
