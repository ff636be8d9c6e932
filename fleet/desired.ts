import { NotFoundError } from '../registry/errors.js';
import type { Registry } from '../registry/registry.js';
import { baselineDeployment, liveDeployment } from './deployment-rows.js';
import { getDevice } from './devices.js';
import type { TelemetryConfig } from './telemetry/types.js';

export interface DesiredVariant {
  id: number;
  sha256: string;
  bytes: number;
  /** Paths relative to the fleet API (`/fleet/v1`), readable with the device's credential. */
  artifactUrl: string;
  signatureUrl: string;
}

export interface DesiredState {
  deviceId: string;
  group: string;
  /** The deployment that decides this state, if any. */
  deploymentId?: number;
  model?: string;
  version?: number;
  /** True when the device is told to go back to an older version (a rollback, not a replay). */
  rollback: boolean;
  variant?: DesiredVariant;
  /** How often to send telemetry and the desired version's input bins (docs/monitoring.md). */
  telemetry?: TelemetryConfig;
}

/**
 * What a device should run: the live deployment's version if its wave has been released, else the
 * group's last completed deployment (which is also what a rolled-back or aborted deployment leaves).
 */
export async function desiredState(reg: Registry, deviceId: string): Promise<DesiredState> {
  const device = await getDevice(reg, deviceId);
  const live = await liveDeployment(reg.db, device.group);
  let decider = await baselineDeployment(reg.db, device.group);
  if (live) {
    const a = await reg.db.get<{ wave: number }>(
      'SELECT wave FROM fleet_assignments WHERE deployment_id = ? AND device_id = ?',
      [live.id, deviceId],
    );
    if (a && Number(a.wave) <= Number(live.wave)) decider = live;
  }
  const base = { deviceId, group: device.group, rollback: false };
  if (!decider) return base;
  const version = Number(decider.version);
  const v = await reg.db.get<{ id: number; artifact_sha256: string; artifact_bytes: number }>(
    'SELECT id, artifact_sha256, artifact_bytes FROM variants WHERE model = ? AND version = ? AND target = ? ORDER BY id DESC LIMIT 1',
    [decider.model, version, device.target],
  );
  if (!v)
    throw new NotFoundError(
      `${decider.model}@${version} has no ${device.target} variant for device ${deviceId}`,
    );
  const id = Number(v.id);
  return {
    ...base,
    deploymentId: Number(decider.id),
    model: decider.model,
    version,
    rollback: device.current?.model === decider.model && device.current.version > version,
    variant: {
      id,
      sha256: v.artifact_sha256,
      bytes: Number(v.artifact_bytes),
      artifactUrl: `/devices/${deviceId}/variants/${id}/artifact`,
      signatureUrl: `/devices/${deviceId}/variants/${id}/signature`,
    },
  };
}

/** A device may download a variant its group has been sent (by any deployment), nothing else. */
export async function deviceMayRead(reg: Registry, deviceId: string, variantId: number): Promise<boolean> {
  const row = await reg.db.get(
    `SELECT 1 AS ok FROM variants v JOIN fleet_deployments d ON d.model = v.model AND d.version = v.version
       JOIN fleet_devices dev ON dev.group_name = d.group_name
     WHERE v.id = ? AND dev.id = ? LIMIT 1`,
    [variantId, deviceId],
  );
  return !!row;
}
