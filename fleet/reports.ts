import { KilnError } from '../runtime/errors.js';
import { type Registry, now } from '../registry/registry.js';
import type { Delivery } from './delivery.js';

/** What a device says after acting on its desired state. */
export interface DeviceReport {
  deploymentId?: number;
  model?: string;
  version?: number;
  /** installed: verified, self-tested and switched to; failed: refused or reverted (reason says why). */
  outcome: 'installed' | 'failed';
  reason?: string;
  /**
   * What the device runs after acting (its live slot). A failed report says it too: after a
   * crash-loop revert the device runs the previous version, and the server's record must follow.
   */
  running?: { model: string; version: number };
  /** With `installed`: whether the artifact came by delta or whole, and the bytes fetched. */
  delivery?: Delivery;
}

export async function recordReport(reg: Registry, deviceId: string, r: DeviceReport): Promise<void> {
  if (r.outcome !== 'installed' && r.outcome !== 'failed') {
    throw new KilnError(`unknown report outcome '${String(r.outcome)}'`, { expected: 'installed or failed' });
  }
  const at = now();
  await reg.db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO fleet_reports (device_id, deployment_id, model, version, outcome, reason, at,
         delivery, downloaded_bytes, artifact_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        deviceId,
        r.deploymentId ?? null,
        r.model ?? null,
        r.version ?? null,
        r.outcome,
        r.reason ?? null,
        at,
        r.delivery?.mode ?? null,
        r.delivery?.downloadedBytes ?? null,
        r.delivery?.artifactBytes ?? null,
      ],
    );
    const running =
      r.running ??
      (r.outcome === 'installed' && r.model !== undefined && r.version !== undefined
        ? { model: r.model, version: r.version }
        : undefined);
    if (running) {
      await tx.run(
        'UPDATE fleet_devices SET current_model = ?, current_version = ?, last_seen_at = ? WHERE id = ?',
        [running.model, running.version, at, deviceId],
      );
    } else {
      await tx.run('UPDATE fleet_devices SET last_seen_at = ? WHERE id = ?', [at, deviceId]);
    }
  });
}
