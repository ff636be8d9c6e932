import { KilnError } from '../../runtime/errors.js';
import { type Registry, now } from '../../registry/registry.js';
import { getDevice } from '../devices.js';
import { checkLatency } from '../telemetry/latency-histogram.js';
import type { TelemetryBatch, TelemetryUpload } from '../telemetry/types.js';

export const MAX_UPLOAD_BATCHES = 500;

/**
 * Stores a device's telemetry upload. Each batch is keyed by its id, so a batch sent twice (a retry
 * after a lost answer, a spool resend) is stored once. The device's group is recorded with the
 * batch, so later group moves do not rewrite history. Returns how many batches were new.
 */
export async function ingestTelemetry(reg: Registry, deviceId: string, u: TelemetryUpload): Promise<number> {
  if (u.batches.length > MAX_UPLOAD_BATCHES) {
    throw new KilnError(`a telemetry upload has ${u.batches.length} batches`, {
      expected: `at most ${MAX_UPLOAD_BATCHES}`,
    });
  }
  u.batches.forEach(checkBatch);
  const device = await getDevice(reg, deviceId);
  const at = now();
  return reg.db.transaction(async (tx) => {
    let added = 0;
    for (const b of u.batches) {
      const errorCount = Object.values(b.errors).reduce((s, n) => s + n, 0);
      const r = await tx.run(
        `INSERT INTO telemetry_batches (id, device_id, group_name, model, version, variant_id, start_ms, end_ms,
           received_at, runs, error_count, errors, latency, inputs)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        [
          b.id,
          deviceId,
          device.group,
          b.model,
          b.version,
          b.variantId,
          b.start,
          b.end,
          at,
          b.runs,
          errorCount,
          JSON.stringify(b.errors),
          JSON.stringify(b.latency),
          JSON.stringify(b.inputs),
        ],
      );
      added += r.changes;
    }
    await tx.run(
      'UPDATE fleet_devices SET telemetry_dropped = telemetry_dropped + ?, last_seen_at = ? WHERE id = ?',
      [u.dropped, at, deviceId],
    );
    return added;
  });
}

/** What the JSON schema cannot say: counts add up, the histogram has the contract's buckets. */
function checkBatch(b: TelemetryBatch, i: number): void {
  const what = `telemetry batch ${i} (${b.id})`;
  checkLatency(b.latency, `${what}: latency histogram`);
  if (!(b.end >= b.start)) throw new KilnError(`${what} ends (${b.end}) before it starts (${b.start})`);
  const errors = Object.values(b.errors).reduce((s, n) => s + n, 0);
  const ok = b.latency.counts.reduce((s, n) => s + n, 0);
  if (errors + ok !== b.runs) {
    throw new KilnError(`${what} has ${b.runs} runs but ${errors} errors and ${ok} latency samples`, {
      expected: 'runs = errors + successful calls (latency samples)',
    });
  }
}
