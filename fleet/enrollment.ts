import { randomUUID } from 'node:crypto';
import { KilnError } from '../runtime/errors.js';
import { type Registry, now } from '../registry/registry.js';
import { trustStoreJson } from '../registry/trust.js';
import { DEVICE_PREFIX, ENROLLMENT_PREFIX, hashSecret, newSecret } from './credentials.js';
import { UnauthorizedError } from './errors.js';
import { requireGroup } from './groups.js';
import { TARGET_NAMES } from '../runtime/artifact/manifest.js';

export const DEFAULT_ENROLLMENT_TTL_S = 24 * 3600;

export interface EnrollmentToken {
  token: string;
  group: string;
  expiresAt: string;
}

/** A single-use token that enrolls one device into `group` before it expires. */
export async function createEnrollmentToken(
  reg: Registry,
  group: string,
  ttlSeconds = DEFAULT_ENROLLMENT_TTL_S,
): Promise<EnrollmentToken> {
  if (!(Number.isInteger(ttlSeconds) && ttlSeconds > 0)) {
    throw new KilnError(`invalid enrollment token lifetime ${ttlSeconds}`, { expected: 'whole seconds > 0' });
  }
  await requireGroup(reg.db, group);
  const token = newSecret(ENROLLMENT_PREFIX);
  const createdAt = now();
  const expiresAt = new Date(Date.parse(createdAt) + ttlSeconds * 1000).toISOString();
  await reg.db.run(
    'INSERT INTO fleet_enrollment_tokens (token_sha256, group_name, created_at, expires_at) VALUES (?, ?, ?, ?)',
    [hashSecret(token), group, createdAt, expiresAt],
  );
  return { token, group, expiresAt };
}

export interface DeviceDescription {
  name: string;
  target: string;
  features: string[];
  runtimeVersion: string;
}

export interface Enrollment {
  deviceId: string;
  credential: string;
  group: string;
  /** The trust store at enrollment: the agent pins it and verifies every artifact against it. */
  trust: unknown;
}

export function checkDescription(d: DeviceDescription): void {
  if (!(TARGET_NAMES as readonly string[]).includes(d.target)) {
    throw new KilnError(`unknown device target '${d.target}'`, { expected: TARGET_NAMES.join(', ') });
  }
}

/**
 * Trade an enrollment token for a device credential. The token is marked used in the same
 * transaction that checks it, so two devices racing with one token cannot both enroll.
 */
export async function enrollDevice(reg: Registry, token: string, d: DeviceDescription): Promise<Enrollment> {
  checkDescription(d);
  const deviceId = randomUUID();
  const credential = newSecret(DEVICE_PREFIX);
  const at = now();
  const group = await reg.db.transaction(async (tx) => {
    const row = await tx.get<{ id: number; group_name: string; used_at: string | null; expires_at: string }>(
      'SELECT id, group_name, used_at, expires_at FROM fleet_enrollment_tokens WHERE token_sha256 = ?',
      [hashSecret(token)],
    );
    if (!row)
      throw new UnauthorizedError('unknown enrollment token', { expected: 'a token from kiln fleet enroll' });
    if (row.used_at) {
      throw new UnauthorizedError(`this enrollment token was already used at ${row.used_at}`, {
        expected: 'a fresh token: each enrolls one device',
      });
    }
    if (row.expires_at <= at) {
      throw new UnauthorizedError(`this enrollment token expired at ${row.expires_at}`, {
        expected: 'a fresh token from kiln fleet enroll',
      });
    }
    const used = await tx.run(
      'UPDATE fleet_enrollment_tokens SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL',
      [at, deviceId, row.id],
    );
    if (used.changes !== 1) throw new UnauthorizedError('this enrollment token was already used');
    await tx.run(
      `INSERT INTO fleet_devices (id, name, group_name, credential_sha256, target, features, runtime_version,
         enrolled_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        deviceId,
        d.name,
        row.group_name,
        hashSecret(credential),
        d.target,
        JSON.stringify([...d.features].sort()),
        d.runtimeVersion,
        at,
        at,
      ],
    );
    return row.group_name;
  });
  return { deviceId, credential, group, trust: await trustStoreJson(reg) };
}
