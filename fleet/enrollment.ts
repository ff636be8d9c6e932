import { randomUUID } from 'node:crypto';
import { KilnError } from '../runtime/errors.js';
import { type Registry, now } from '../registry/registry.js';
import { trustStoreJson } from '../registry/trust.js';
import { latestTrustVersion } from '../registry/trust-statements.js';
import { DEVICE_PREFIX, ENROLLMENT_PREFIX, hashSecret, newSecret } from './credentials.js';
import { UnauthorizedError } from './errors.js';
import { requireGroup } from './groups.js';
import { lockFleet } from './deployment-rows.js';
import { refreshMembership } from './membership.js';
import { type Tags, checkTags, tagsJson } from './tags.js';
import { TARGET_NAMES } from '../runtime/artifact/manifest.js';

export const DEFAULT_ENROLLMENT_TTL_S = 24 * 3600;

export interface EnrollmentToken {
  token: string;
  group: string;
  expiresAt: string;
  /** Tags the device gets at enrollment (they win over tags the device asks for). */
  tags: Tags;
}

/** A single-use token that enrolls one device into (static) `group` before it expires. */
export async function createEnrollmentToken(
  reg: Registry,
  group: string,
  ttlSeconds = DEFAULT_ENROLLMENT_TTL_S,
  tags: Tags = {},
): Promise<EnrollmentToken> {
  if (!(Number.isInteger(ttlSeconds) && ttlSeconds > 0)) {
    throw new KilnError(`invalid enrollment token lifetime ${ttlSeconds}`, { expected: 'whole seconds > 0' });
  }
  checkTags(tags);
  const { filter } = await requireGroup(reg.db, group);
  if (filter !== undefined) {
    throw new KilnError(`group '${group}' is dynamic (filter: ${filter}): devices cannot enroll into it`, {
      expected: 'a static group to enroll into; tag the device so that it matches the filter',
    });
  }
  const token = newSecret(ENROLLMENT_PREFIX);
  const createdAt = now();
  const expiresAt = new Date(Date.parse(createdAt) + ttlSeconds * 1000).toISOString();
  await reg.db.run(
    'INSERT INTO fleet_enrollment_tokens (token_sha256, group_name, created_at, expires_at, tags) VALUES (?, ?, ?, ?, ?)',
    [hashSecret(token), group, createdAt, expiresAt, tagsJson(tags)],
  );
  return { token, group, expiresAt, tags };
}

export interface DeviceDescription {
  name: string;
  target: string;
  features: string[];
  runtimeVersion: string;
  /** Tags the device asks for at enrollment (`kiln agent --tag`); after it, only operators tag. */
  tags?: Tags;
}

export interface Enrollment {
  deviceId: string;
  credential: string;
  group: string;
  /** The device's tags: its own from enrollment, overridden by the token's. */
  tags: Tags;
  /** The trust store at enrollment: the agent pins it and verifies every artifact against it. */
  trust: unknown;
  /** The trust-store statement version it corresponds to (0: none recorded yet); renewals must be newer. */
  trustVersion: number;
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
  checkTags(d.tags ?? {});
  const deviceId = randomUUID();
  const credential = newSecret(DEVICE_PREFIX);
  const at = now();
  const { group, tags } = await reg.db.transaction(async (tx) => {
    await lockFleet(tx, reg.db.dialect);
    const row = await tx.get<{
      id: number;
      group_name: string;
      used_at: string | null;
      expires_at: string;
      tags: string;
    }>(
      'SELECT id, group_name, used_at, expires_at, tags FROM fleet_enrollment_tokens WHERE token_sha256 = ?',
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
    const tags = checkTags({ ...(d.tags ?? {}), ...(JSON.parse(row.tags) as Tags) });
    await tx.run(
      `INSERT INTO fleet_devices (id, name, group_name, credential_sha256, target, features, runtime_version,
         enrolled_at, last_seen_at, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
        tagsJson(tags),
      ],
    );
    await refreshMembership(tx, [deviceId]);
    return { group: row.group_name, tags };
  });
  // the version first: a key change in between gives a newer statement, which the device then renews to
  const trustVersion = await latestTrustVersion(reg);
  return { deviceId, credential, group, tags, trust: await trustStoreJson(reg), trustVersion };
}
