import { KilnError } from '../errors.js';
import { type ArtifactContents, readArtifact } from './artifact.js';
import { canonicalJson } from './canonical-json.js';
import { FieldProblems } from './json-fields.js';
import { sha256Hex } from './sha256.js';

/**
 * Artifact signatures: ed25519 over the exact bytes of manifest.json, which holds the sha256 of
 * every other file, so one signature covers the whole artifact. This is the one verification
 * function the runtime and the fleet agent share; it uses WebCrypto only, so it runs in browsers.
 *
 * A signature (the artifact's `signature` entry, or a detached `.sig` file) is canonical JSON:
 * `{"algorithm": "ed25519", "keyId": "<32 hex>", "signature": "<base64, 64 bytes>"}`.
 */
export interface ArtifactSignature {
  algorithm: 'ed25519';
  keyId: string;
  signature: Uint8Array;
}

/** A public key a device trusts, or knows to be revoked. */
export interface TrustedKey {
  keyId: string;
  /** The raw 32-byte ed25519 public key. */
  publicKey: Uint8Array;
  revoked?: boolean;
}

export interface TrustStore {
  keys: readonly TrustedKey[];
}

const KEY_ID = /^[0-9a-f]{32}$/;
const utf8 = new TextEncoder();

/** A key's id: the first 16 bytes of the sha256 of its raw public key, as hex. */
export async function publicKeyId(publicKey: Uint8Array): Promise<string> {
  return (await sha256Hex(publicKey)).slice(0, 32);
}

export function encodeSignature(sig: ArtifactSignature): Uint8Array {
  return utf8.encode(
    canonicalJson({ algorithm: sig.algorithm, keyId: sig.keyId, signature: toBase64(sig.signature) }),
  );
}

export function decodeSignature(bytes: Uint8Array, file?: string): ArtifactSignature {
  const fail = (why: string) =>
    new KilnError(`the artifact signature is malformed: ${why}`, {
      ...(file ? { file } : {}),
      expected: '{"algorithm": "ed25519", "keyId": "<32 hex digits>", "signature": "<base64>"}',
    });
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw fail(`not UTF-8 JSON (${(err as Error).message})`);
  }
  const p = new FieldProblems();
  if (p.object(v, '', ['algorithm', 'keyId', 'signature'])) {
    p.oneOf(v.algorithm, 'algorithm', ['ed25519']);
    p.string(v.keyId, 'keyId', KEY_ID, '32 lowercase hex digits');
    p.string(v.signature, 'signature', /^[A-Za-z0-9+/]{86}==$/, 'base64 of 64 bytes');
  }
  if (p.list.length) throw fail(p.list.join('; '));
  const o = v as { keyId: string; signature: string };
  return { algorithm: 'ed25519', keyId: o.keyId, signature: fromBase64(o.signature) };
}

/**
 * Check a signature over manifest.json against the trusted keys. Refused: a malformed signature,
 * a key not in the trust store, a revoked key, or a signature that does not match the bytes.
 * Returns the id of the key that signed.
 */
export async function verifyManifestSignature(
  manifestBytes: Uint8Array,
  signatureBytes: Uint8Array,
  trust: TrustStore,
  options: { file?: string } = {},
): Promise<{ keyId: string }> {
  const ctx = options.file ? { file: options.file } : {};
  const sig = decodeSignature(signatureBytes, options.file);
  const key = trust.keys.find((k) => k.keyId === sig.keyId);
  if (!key) {
    throw new KilnError(`the artifact is signed by unknown key ${sig.keyId}`, {
      ...ctx,
      expected: `a signature by a trusted key (${trust.keys.filter((k) => !k.revoked).length} trusted)`,
    });
  }
  if (key.revoked) {
    throw new KilnError(`the artifact is signed by revoked key ${sig.keyId}`, {
      ...ctx,
      expected: 'a signature by a key that is not revoked',
    });
  }
  if ((await publicKeyId(key.publicKey)) !== key.keyId) {
    throw new KilnError(`trust store entry ${key.keyId} does not match its public key`, ctx);
  }
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new KilnError('WebCrypto (crypto.subtle) is not available to verify the signature', {
      ...ctx,
      expected: 'Node 20+, or a browser page served over https or from localhost',
    });
  }
  let ok: boolean;
  try {
    const publicKey = await subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
    ok = await subtle.verify({ name: 'Ed25519' }, publicKey, sig.signature, manifestBytes);
  } catch (err) {
    throw new KilnError(`cannot check the ed25519 signature: ${(err as Error).message}`, {
      ...ctx,
      expected: 'a runtime whose WebCrypto supports Ed25519',
    });
  }
  if (!ok) {
    throw new KilnError(`the signature by key ${sig.keyId} does not match manifest.json`, {
      ...ctx,
      expected: 'an artifact exactly as it was signed',
    });
  }
  return { keyId: sig.keyId };
}

/**
 * Read an artifact, checking every file against the manifest's hashes (readArtifact), then the
 * signature over the manifest: the detached one when given, else the artifact's own `signature`
 * entry. An unsigned artifact is refused.
 */
export async function verifySignedArtifact(
  bytes: Uint8Array,
  trust: TrustStore,
  options: { file?: string; signature?: Uint8Array } = {},
): Promise<ArtifactContents & { keyId: string }> {
  const contents = await readArtifact(bytes, options.file ? { file: options.file } : {});
  const signature = options.signature ?? contents.signature;
  if (!signature) {
    throw new KilnError('the artifact is not signed', {
      ...(options.file ? { file: options.file } : {}),
      expected: "a 'signature' entry or a detached signature",
    });
  }
  const { keyId } = await verifyManifestSignature(contents.manifestBytes, signature, trust, options);
  return { ...contents, keyId };
}

/**
 * A trust store from JSON (`{"keys": [{"keyId", "publicKey": base64, "revoked"?}]}`), as the
 * registry exports it for devices.
 */
export function parseTrustStore(json: unknown, file?: string): TrustStore {
  const p = new FieldProblems();
  const keys: TrustedKey[] = [];
  if (p.object(json, '', ['keys']) && p.array(json.keys, 'keys')) {
    json.keys.forEach((k, i) => {
      const at = `keys[${i}]`;
      if (!p.object(k, at, ['keyId', 'publicKey', 'revoked'])) return;
      const idOk = p.string(k.keyId, `${at}.keyId`, KEY_ID, '32 lowercase hex digits');
      const keyOk = p.string(k.publicKey, `${at}.publicKey`, /^[A-Za-z0-9+/]{43}=$/, 'base64 of 32 bytes');
      if (k.revoked !== undefined && typeof k.revoked !== 'boolean')
        p.add(`${at}.revoked`, 'a boolean', k.revoked);
      if (idOk && keyOk) {
        keys.push({
          keyId: k.keyId as string,
          publicKey: fromBase64(k.publicKey as string),
          revoked: k.revoked === true,
        });
      }
    });
  }
  if (p.list.length) {
    throw new KilnError(`not a valid trust store: ${p.list.join('; ')}`, file ? { file } : {});
  }
  return { keys };
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
