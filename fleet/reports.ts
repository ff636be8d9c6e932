import { KilnError } from '../runtime/errors.js';
import { type Registry, now } from '../registry/registry.js';

/** What a device says after acting on its desired state. */
export interface DeviceReport {
  deploymentId?: number;
  model?: string;
  version?: number;
  /** installed: verified, self-tested and switched to; failed: refused or reverted (reason says why). */
  outcome: 'installed' | 'failed';
  reason?: string;
}

export async function recordReport(reg: Registry, deviceId: string, r: DeviceReport): Promise<void> {
  if (r.outcome !== 'installed' && r.outcome !== 'failed') {
    throw new KilnError(`unknown report outcome '${String(r.outcome)}'`, { expected: 'installed or failed' });
  }
  const at = now();
  await reg.db.transaction(async (tx) => {
    await tx.run(
      'INSERT INTO fleet_reports (device_id, deployment_id, model, version, outcome, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [deviceId, r.deploymentId ?? null, r.model ?? null, r.version ?? null, r.outcome, r.reason ?? null, at],
    );
    if (r.outcome === 'installed' && r.model !== undefined && r.version !== undefined) {
      await tx.run(
        'UPDATE fleet_devices SET current_model = ?, current_version = ?, last_seen_at = ? WHERE id = ?',
        [r.model, r.version, at, deviceId],
      );
    } else {
      await tx.run('UPDATE fleet_devices SET last_seen_at = ? WHERE id = ?', [at, deviceId]);
    }
  });
}
