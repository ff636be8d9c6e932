import { KilnError } from '../runtime/errors.js';
import type { Registry } from './registry.js';
import { now } from './registry.js';
import type { BenchmarkRecord, DeploymentRecord } from './types.js';
import { getVariant } from './variants.js';

export interface BenchmarkInput {
  hardwareId: string;
  hardware: string;
  latencyMedianMs: number;
  latencyP90Ms: number;
  throughput?: number;
  peakMemoryBytes?: number;
  measuredAt?: string;
}

/** Record a benchmark result of a compiled variant on one kind of hardware. */
export async function addBenchmark(
  reg: Registry,
  variantId: number,
  b: BenchmarkInput,
  actor = reg.actor,
): Promise<BenchmarkRecord> {
  await getVariant(reg, variantId);
  const positive = (x: number | undefined, what: string) => {
    if (x !== undefined && !(Number.isFinite(x) && x >= 0)) {
      throw new KilnError(`invalid benchmark ${what}: ${x}`, { expected: 'a finite number ≥ 0' });
    }
  };
  positive(b.latencyMedianMs, 'latencyMedianMs');
  positive(b.latencyP90Ms, 'latencyP90Ms');
  positive(b.throughput, 'throughput');
  positive(b.peakMemoryBytes, 'peakMemoryBytes');
  if (!b.hardwareId.trim())
    throw new KilnError('a benchmark needs a hardware id', { expected: 'e.g. "rpi5"' });
  const measuredAt = b.measuredAt ?? now();
  const row = await reg.db.get<{ id: number }>(
    `INSERT INTO benchmarks (variant_id, hardware_id, hardware, latency_median_ms, latency_p90_ms, throughput,
       peak_memory_bytes, measured_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      variantId,
      b.hardwareId,
      b.hardware,
      b.latencyMedianMs,
      b.latencyP90Ms,
      b.throughput ?? null,
      b.peakMemoryBytes ?? null,
      measuredAt,
      actor,
    ],
  );
  return { id: row!.id, variantId, ...b, measuredAt, recordedBy: actor };
}

export async function listBenchmarks(reg: Registry, variantIds: number[]): Promise<BenchmarkRecord[]> {
  const out: BenchmarkRecord[] = [];
  for (const id of variantIds) {
    const rows = await reg.db.all<Record<string, string | number | null>>(
      'SELECT * FROM benchmarks WHERE variant_id = ? ORDER BY id',
      [id],
    );
    for (const r of rows) {
      out.push({
        id: r.id as number,
        variantId: r.variant_id as number,
        hardwareId: r.hardware_id as string,
        hardware: r.hardware as string,
        latencyMedianMs: r.latency_median_ms as number,
        latencyP90Ms: r.latency_p90_ms as number,
        ...(r.throughput !== null ? { throughput: r.throughput as number } : {}),
        ...(r.peak_memory_bytes !== null ? { peakMemoryBytes: r.peak_memory_bytes as number } : {}),
        measuredAt: r.measured_at as string,
        recordedBy: r.recorded_by as string,
      });
    }
  }
  return out;
}

/** Record that a variant was rolled out to a fleet (the fleet server calls this). */
export async function recordDeployment(
  reg: Registry,
  variantId: number,
  fleet: string,
  actor = reg.actor,
): Promise<DeploymentRecord> {
  await getVariant(reg, variantId);
  const deployedAt = now();
  const row = await reg.db.get<{ id: number }>(
    'INSERT INTO deployments (variant_id, fleet, deployed_at, actor) VALUES (?, ?, ?, ?) RETURNING id',
    [variantId, fleet, deployedAt, actor],
  );
  return { id: row!.id, variantId, fleet, deployedAt, actor };
}

export async function listDeployments(reg: Registry, variantIds: number[]): Promise<DeploymentRecord[]> {
  const out: DeploymentRecord[] = [];
  for (const id of variantIds) {
    const rows = await reg.db.all<{
      id: number;
      variant_id: number;
      fleet: string;
      deployed_at: string;
      actor: string;
    }>('SELECT * FROM deployments WHERE variant_id = ? ORDER BY id', [id]);
    for (const r of rows)
      out.push({
        id: r.id,
        variantId: r.variant_id,
        fleet: r.fleet,
        deployedAt: r.deployed_at,
        actor: r.actor,
      });
  }
  return out;
}
