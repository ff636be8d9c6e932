import { join } from 'node:path';
import { canonicalJson } from '../runtime/artifact/canonical-json.js';
import { KilnError } from '../runtime/errors.js';
import { type Registry, now } from './registry.js';
import { loadPrivateKey, signManifest } from './signing/keys.js';
import { listKeys, trustStoreJson } from './trust.js';

/**
 * A trust-store statement (as TUF's root metadata): the whole set of keys devices should trust,
 * with a version that only increases. Each change of the registry's keys (a key generated or
 * trusted, a key revoked) records the next one, signed by every key this registry can sign with at
 * that moment, so a device follows a rotation step by step: each statement is checked against the
 * store the previous one gave it (fleet/agent/trust-renewal.ts).
 */
export interface TrustStatement {
  kind: 'kiln-trust-store';
  version: number;
  keys: { keyId: string; publicKey: string; revoked: boolean }[];
}

/** The canonical JSON text the signatures cover, and the signatures (runtime encoding, one per key). */
export interface SignedTrustStatement {
  version: number;
  statement: string;
  signatures: string[];
}

export function trustStatementText(s: TrustStatement): string {
  return canonicalJson(s);
}

/**
 * Record the next statement when the trusted keys differ from the newest statement's: the current
 * keys, signed by every unrevoked key whose private key this registry holds. Called after every
 * change of the keys (generate, trust, revoke, a bundle import). A registry that can sign with no
 * key records nothing (no device could check it; `kiln keys generate` first).
 */
export async function recordTrustStatement(reg: Registry): Promise<SignedTrustStatement | undefined> {
  const keys = (await trustStoreJson(reg)).keys;
  const newest = await reg.db.get<{ statement: string }>(
    'SELECT statement FROM trust_statements ORDER BY version DESC LIMIT 1',
  );
  if (
    newest &&
    canonicalJson((JSON.parse(newest.statement) as TrustStatement).keys) === canonicalJson(keys)
  ) {
    return undefined; // nothing changed (a key trusted again, a bundle with known keys)
  }
  const signers = (await listKeys(reg)).filter((k) => k.canSign && !k.revokedAt);
  if (signers.length === 0) return undefined;
  const loaded = await Promise.all(signers.map((k) => loadPrivateKey(join(reg.keysDir, `${k.keyId}.pem`))));
  return reg.db.transaction(async (tx) => {
    const last = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM trust_statements');
    const version = Number(last?.v ?? 0) + 1;
    const statement = trustStatementText({ kind: 'kiln-trust-store', version, keys });
    const bytes = new TextEncoder().encode(statement);
    const signatures = loaded.map((key) => new TextDecoder().decode(signManifest(bytes, key)));
    await tx.run(
      'INSERT INTO trust_statements (version, statement, signatures, created_at) VALUES (?, ?, ?, ?)',
      [version, statement, JSON.stringify(signatures), now()],
    );
    return { version, statement, signatures };
  });
}

/** The statements newer than `after`, oldest first: the chain a device walks to renew its store. */
export async function trustStatementsAfter(reg: Registry, after: number): Promise<SignedTrustStatement[]> {
  if (!(Number.isInteger(after) && after >= 0)) {
    throw new KilnError(`invalid trust-store version ${after}`, { expected: 'an integer ≥ 0' });
  }
  const rows = await reg.db.all<{ version: number; statement: string; signatures: string }>(
    'SELECT version, statement, signatures FROM trust_statements WHERE version > ? ORDER BY version',
    [after],
  );
  return rows.map((r) => ({
    version: Number(r.version),
    statement: r.statement,
    signatures: JSON.parse(r.signatures) as string[],
  }));
}

/** The newest statement's version (0 when none was recorded yet). */
export async function latestTrustVersion(reg: Registry): Promise<number> {
  const row = await reg.db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM trust_statements');
  return Number(row?.v ?? 0);
}
