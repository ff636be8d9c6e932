import { NotFoundError } from '../registry/errors.js';
import type { Registry } from '../registry/registry.js';
import type { DeploymentRow } from './deployment-rows.js';
import { DEVICE_GROUPS_SQL } from './membership.js';
import { getDevice } from './devices.js';
import type { TelemetryConfig } from './telemetry/types.js';
import { type RollbackOrder, type SignedRollbackOrder, rollbackOrderText } from './rollback-order.js';
import { signingKey } from '../registry/trust.js';
import { latestTrustVersion } from '../registry/trust-statements.js';
import { type SigningKey, signManifest } from '../registry/signing/keys.js';

export interface DesiredVariant {
  id: number;
  sha256: string;
  bytes: number;
  /** Paths relative to the fleet API (`/fleet/v1`), readable with the device's credential. */
  artifactUrl: string;
  signatureUrl: string;
  /**
   * Present when the deployment offers delta delivery: the artifact's manifest.json, and the prefix
   * to which a file's path is appended to fetch that file alone (both with HTTP ranges).
   */
  delta?: { manifestUrl: string; filesUrl: string };
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
  /** With `rollback`: the order signed by the registry's key, which the agent checks before going back. */
  rollbackOrder?: SignedRollbackOrder;
  variant?: DesiredVariant;
  /** How often to send telemetry and the desired version's input bins (docs/monitoring.md). */
  telemetry?: TelemetryConfig;
  /** The newest trust-store statement: a device pinned to an older one renews (GET …/trust). */
  trustVersion?: number;
}

/**
 * What a device should run. A device follows at most one live deployment (it is assigned to one at
 * a time, docs/fleet.md): once its wave is released, that deployment decides. Otherwise the newest
 * succeeded deployment among all its groups does (its static group and the dynamic groups it
 * matches now); that is also what a rolled-back or aborted deployment leaves.
 */
export async function desiredState(reg: Registry, deviceId: string): Promise<DesiredState> {
  const device = await getDevice(reg, deviceId);
  const decider =
    (await reg.db.get<DeploymentRow>(
      `SELECT d.* FROM fleet_assignments a JOIN fleet_deployments d ON d.id = a.deployment_id
       WHERE a.device_id = ? AND d.state IN ('running', 'paused') AND a.wave <= d.wave
       ORDER BY d.id DESC LIMIT 1`,
      [deviceId],
    )) ??
    (await reg.db.get<DeploymentRow>(
      `SELECT * FROM fleet_deployments WHERE state = 'succeeded' AND group_name IN (${DEVICE_GROUPS_SQL})
       ORDER BY id DESC LIMIT 1`,
      [deviceId, deviceId],
    ));
  const trustVersion = await latestTrustVersion(reg);
  const base = { deviceId, group: decider?.group_name ?? device.group, rollback: false, trustVersion };
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
  const deploymentId = Number(decider.id);
  const rollback = device.current?.model === decider.model && device.current.version > version;
  return {
    ...base,
    deploymentId,
    model: decider.model,
    version,
    rollback,
    ...(rollback
      ? {
          rollbackOrder: await signRollbackOrder(reg, trustVersion, {
            kind: 'kiln-rollback',
            deviceId,
            model: decider.model,
            version,
            sha256: v.artifact_sha256,
            deploymentId,
            latestDeploymentId: await newestDeployment(reg),
          }),
        }
      : {}),
    variant: {
      id,
      sha256: v.artifact_sha256,
      bytes: Number(v.artifact_bytes),
      artifactUrl: `/devices/${deviceId}/variants/${id}/artifact`,
      signatureUrl: `/devices/${deviceId}/variants/${id}/signature`,
      ...(Number(decider.delta) !== 0
        ? {
            delta: {
              manifestUrl: `/devices/${deviceId}/variants/${id}/files/manifest.json`,
              filesUrl: `/devices/${deviceId}/variants/${id}/files/`,
            },
          }
        : {}),
    },
  };
}

/**
 * Sign a rollback order with the registry's newest signing key (the one new variants are signed
 * with, so devices trust it). A server without a private key cannot order rollbacks: agents refuse
 * unsigned ones, so the error says what is missing.
 */
async function signRollbackOrder(
  reg: Registry,
  trustVersion: number,
  order: RollbackOrder,
): Promise<SignedRollbackOrder> {
  const text = rollbackOrderText(order);
  const key = await cachedSigningKey(reg, trustVersion);
  return {
    order: text,
    signature: new TextDecoder().decode(signManifest(new TextEncoder().encode(text), key)),
  };
}

/**
 * The newest deployment of any group when the order is signed. Not only the device's groups: one
 * tagged out of a dynamic group goes back to its static group's older deployment, and its order must
 * still be newer than the deployment that installed what it runs. Ids only grow, so this is as
 * much a timestamp as the group's newest was.
 */
async function newestDeployment(reg: Registry): Promise<number> {
  const row = await reg.db.get<{ id: number | null }>('SELECT MAX(id) AS id FROM fleet_deployments');
  return Number(row?.id ?? 0);
}

const KEY_CACHE_MS = 60_000;
const keys = new WeakMap<Registry, { key: Promise<SigningKey>; until: number; trustVersion: number }>();

/**
 * During a rollback every device polls for its order: read the key file once a minute, not per
 * poll, and again at once when the keys changed (a new trust-store statement), so a revoked key
 * signs no further order.
 */
function cachedSigningKey(reg: Registry, trustVersion: number): Promise<SigningKey> {
  const hit = keys.get(reg);
  if (hit && hit.until > Date.now() && hit.trustVersion === trustVersion) return hit.key;
  const key = signingKey(reg);
  keys.set(reg, { key, until: Date.now() + KEY_CACHE_MS, trustVersion });
  key.catch(() => keys.delete(reg));
  return key;
}

/** A device may download a variant sent (by any deployment) to a group it belongs to now, nothing else. */
export async function deviceMayRead(reg: Registry, deviceId: string, variantId: number): Promise<boolean> {
  const row = await reg.db.get(
    `SELECT 1 AS ok FROM variants v JOIN fleet_deployments d ON d.model = v.model AND d.version = v.version
     WHERE v.id = ? AND d.group_name IN (${DEVICE_GROUPS_SQL}) LIMIT 1`,
    [variantId, deviceId, deviceId],
  );
  return !!row;
}
