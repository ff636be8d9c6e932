import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../runtime/errors.js';
import { type ArtifactSignature, encodeSignature, publicKeyId } from '../../runtime/artifact/signature.js';

/**
 * The registry's side of signing: ed25519 key pairs from node:crypto, private keys as PKCS#8 PEM
 * files readable by their owner only (`<home>/keys/<keyId>.pem`). Verification is the runtime's
 * (runtime/artifact/signature.ts), so the registry checks exactly what devices check.
 */
export interface SigningKey {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: KeyObject;
}

export async function generateSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return { keyId: await publicKeyId(raw), publicKey: raw, privateKey };
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
}

export async function savePrivateKey(dir: string, key: SigningKey): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${key.keyId}.pem`);
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return path;
}

export async function loadPrivateKey(path: string): Promise<SigningKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(path));
  } catch (err) {
    throw new KilnError(`cannot read the signing key: ${(err as Error).message}`, {
      file: path,
      expected: 'an ed25519 private key in PKCS#8 PEM (kiln keys generate)',
    });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KilnError(`the signing key is ${privateKey.asymmetricKeyType}`, {
      file: path,
      expected: 'ed25519',
    });
  }
  const raw = rawPublicKey(createPublicKey(privateKey));
  return { keyId: await publicKeyId(raw), publicKey: raw, privateKey };
}

/** Ids of the private keys present in `dir`. */
export async function privateKeyIds(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => /^[0-9a-f]{32}\.pem$/.test(n)).map((n) => n.slice(0, 32));
  } catch {
    return [];
  }
}

/** A detached signature over manifest.json, in the runtime's encoding. */
export function signManifest(manifestBytes: Uint8Array, key: SigningKey): Uint8Array {
  const signature: ArtifactSignature = {
    algorithm: 'ed25519',
    keyId: key.keyId,
    signature: new Uint8Array(sign(null, manifestBytes, key.privateKey)),
  };
  return encodeSignature(signature);
}
