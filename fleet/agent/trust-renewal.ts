import type { SignedTrustStatement } from '../../registry/trust-statements.js';
import {
  type TrustStore,
  parseTrustStore,
  verifyManifestSignature,
} from '../../runtime/artifact/signature.js';
import { KilnError } from '../../runtime/errors.js';

/** A device's pinned trust store: the keys as JSON (as enrollment gave them) and the statement version. */
export interface PinnedTrust {
  json: unknown;
  version: number;
}

const utf8 = new TextEncoder();

/**
 * Walk the statements (oldest first) from the pinned store: each must be newer than the store it
 * replaces (an older or equal one replayed is refused) and carry at least one valid signature by a
 * key that store trusts and has not revoked (threshold 1, docs/fleet.md). Returns the store the last
 * one gives; throws a KilnError naming the statement at the first that fails, so nothing of a bad
 * chain is taken.
 */
export async function renewTrust(
  pinned: PinnedTrust,
  statements: readonly SignedTrustStatement[],
): Promise<PinnedTrust> {
  let current = pinned;
  if (statements.length === 0) {
    throw new KilnError('the server sent no trust-store statement newer than the pinned one', {
      expected: `statements after version ${pinned.version}`,
    });
  }
  for (const s of statements) {
    const where = `trust statement ${s.version}`;
    let parsed: { kind?: unknown; version?: unknown; keys?: unknown };
    try {
      parsed = JSON.parse(s.statement) as typeof parsed;
    } catch (err) {
      throw new KilnError(`${where} is not JSON: ${(err as Error).message}`);
    }
    if (parsed.kind !== 'kiln-trust-store' || !Number.isInteger(parsed.version)) {
      throw new KilnError(`${where} is not a trust-store statement`, {
        expected: '{"kind": "kiln-trust-store", "version": N, "keys": [...]}',
      });
    }
    const version = parsed.version as number;
    if (version !== s.version) {
      throw new KilnError(`${where} says it is version ${version} inside its signed text`);
    }
    if (version <= current.version) {
      throw new KilnError(
        `${where} is not newer than the pinned trust store (version ${current.version}): a replayed statement`,
        { expected: `a version above ${current.version}` },
      );
    }
    await requireTrustedSignature(s, parseTrustStore(current.json), where);
    const next = { keys: parsed.keys };
    const store = parseTrustStore(next, where);
    if (!store.keys.some((k) => !k.revoked)) {
      throw new KilnError(`${where} trusts no key`, { expected: 'at least one key that is not revoked' });
    }
    current = { json: next, version };
  }
  return current;
}

/** At least one of the statement's signatures must verify against `trust` by an unrevoked key. */
async function requireTrustedSignature(
  s: SignedTrustStatement,
  trust: TrustStore,
  where: string,
): Promise<void> {
  const problems: string[] = [];
  const bytes = utf8.encode(s.statement);
  for (const sig of Array.isArray(s.signatures) ? s.signatures : []) {
    try {
      await verifyManifestSignature(bytes, utf8.encode(String(sig)), trust, { file: where });
      return;
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  throw new KilnError(`${where} is not signed by any key this device trusts`, {
    expected: `a signature by one of its ${trust.keys.filter((k) => !k.revoked).length} trusted keys${
      problems.length ? ` (${problems.join('; ')})` : ' (it has no signature)'
    }`,
  });
}
