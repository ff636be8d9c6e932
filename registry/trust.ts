import { join } from 'node:path';
import { type TrustStore, fromBase64, publicKeyId, toBase64 } from '../runtime/artifact/signature.js';
import { KilnError } from '../runtime/errors.js';
import { ConflictError, NotFoundError } from './errors.js';
import { recordTrustStatement } from './trust-statements.js';
import { type Registry, now } from './registry.js';
import {
  type SigningKey,
  generateSigningKey,
  loadPrivateKey,
  privateKeyIds,
  savePrivateKey,
} from './signing/keys.js';

export interface KeyRecord {
  keyId: string;
  publicKey: string;
  createdAt: string;
  revokedAt?: string;
  revokedReason?: string;
  /** Whether this registry holds the private key (can sign with it). */
  canSign: boolean;
}

/** Make a key pair: the private key goes to `<home>/keys`, the public key into the trust table. */
export async function generateKey(reg: Registry): Promise<KeyRecord & { privateKeyPath: string }> {
  const key = await generateSigningKey();
  const privateKeyPath = await savePrivateKey(reg.keysDir, key);
  await trustKey(reg, key.publicKey);
  return { ...(await getKey(reg, key.keyId)), privateKeyPath };
}

/** Add a public key (32 raw bytes) to the trusted keys; returns its id. */
export async function trustKey(reg: Registry, publicKey: Uint8Array, createdAt = now()): Promise<string> {
  if (publicKey.length !== 32) {
    throw new KilnError(`an ed25519 public key is 32 bytes, got ${publicKey.length}`);
  }
  const keyId = await publicKeyId(publicKey);
  await reg.db.run(
    'INSERT INTO signing_keys (key_id, public_key, created_at) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING',
    [keyId, toBase64(publicKey), createdAt],
  );
  await recordTrustStatement(reg); // a new key: devices renew their pinned store from the statement
  return keyId;
}

/** Revoke a key: signatures by it stop verifying everywhere the trust store is distributed. */
export async function revokeKey(reg: Registry, keyId: string, reason: string): Promise<KeyRecord> {
  const key = await getKey(reg, keyId);
  if (key.revokedAt) throw new ConflictError(`key ${keyId} was already revoked at ${key.revokedAt}`);
  await reg.db.run('UPDATE signing_keys SET revoked_at = ?, revoked_reason = ? WHERE key_id = ?', [
    now(),
    reason,
    keyId,
  ]);
  await recordTrustStatement(reg); // signed by the keys left: devices drop the revoked one
  return getKey(reg, keyId);
}

export async function listKeys(reg: Registry): Promise<KeyRecord[]> {
  const rows = await reg.db.all<KeyRow>('SELECT * FROM signing_keys ORDER BY created_at, key_id');
  const own = new Set(await privateKeyIds(reg.keysDir));
  return rows.map((r) => keyRecord(r, own.has(r.key_id)));
}

export async function getKey(reg: Registry, keyId: string): Promise<KeyRecord> {
  const row = await reg.db.get<KeyRow>('SELECT * FROM signing_keys WHERE key_id = ?', [keyId]);
  if (!row) throw new NotFoundError(`no signing key with id '${keyId}' (see kiln keys list)`);
  return keyRecord(row, (await privateKeyIds(reg.keysDir)).includes(keyId));
}

/** The trust store devices and the runtime check signatures against (revoked keys included, marked). */
export async function trustStore(reg: Registry): Promise<TrustStore> {
  const rows = await reg.db.all<KeyRow>('SELECT * FROM signing_keys ORDER BY key_id');
  return {
    keys: rows.map((r) => ({
      keyId: r.key_id,
      publicKey: fromBase64(r.public_key),
      revoked: r.revoked_at !== null,
    })),
  };
}

/** The same trust store as JSON (parseTrustStore reads it back). */
export async function trustStoreJson(
  reg: Registry,
): Promise<{ keys: { keyId: string; publicKey: string; revoked: boolean }[] }> {
  const store = await trustStore(reg);
  return {
    keys: store.keys.map((k) => ({ keyId: k.keyId, publicKey: toBase64(k.publicKey), revoked: !!k.revoked })),
  };
}

/**
 * The key to sign new variants with: the given private key file, else the newest key of this
 * registry that has a private key and is not revoked.
 */
export async function signingKey(reg: Registry, keyFile?: string): Promise<SigningKey> {
  if (keyFile) {
    const key = await loadPrivateKey(keyFile);
    const record = await getKey(reg, key.keyId).catch(() => undefined);
    if (record?.revokedAt) throw new KilnError(`key ${key.keyId} is revoked`, { file: keyFile });
    if (!record) await trustKey(reg, key.publicKey);
    return key;
  }
  const usable = (await listKeys(reg)).filter((k) => k.canSign && !k.revokedAt);
  const newest = usable.at(-1);
  if (!newest) {
    throw new KilnError('this registry has no signing key', {
      expected: 'run `kiln keys generate` first (or pass --key FILE)',
    });
  }
  return loadPrivateKey(join(reg.keysDir, `${newest.keyId}.pem`));
}

interface KeyRow {
  key_id: string;
  public_key: string;
  created_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

function keyRecord(r: KeyRow, canSign: boolean): KeyRecord {
  return {
    keyId: r.key_id,
    publicKey: r.public_key,
    createdAt: r.created_at,
    ...(r.revoked_at !== null ? { revokedAt: r.revoked_at } : {}),
    ...(r.revoked_reason !== null ? { revokedReason: r.revoked_reason } : {}),
    canSign,
  };
}
