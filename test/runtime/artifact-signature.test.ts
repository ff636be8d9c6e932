import { beforeAll, describe, expect, it } from 'vitest';
import { readArtifact, writeArtifact } from '../../runtime/artifact/artifact.js';
import {
  type TrustStore,
  parseTrustStore,
  toBase64,
  verifySignedArtifact,
} from '../../runtime/artifact/signature.js';
import { packTar, unpackTar } from '../../runtime/artifact/tar.js';
import { sha256Hex } from '../../runtime/artifact/sha256.js';
import { type SigningKey, generateSigningKey, signManifest } from '../../registry/signing/keys.js';
import { packWithManifest, sampleDraft, sampleFiles } from './artifact-fixture.js';

let key: SigningKey;
let other: SigningKey;
let artifact: Uint8Array;
let signature: Uint8Array;
let trust: TrustStore;

beforeAll(async () => {
  key = await generateSigningKey();
  other = await generateSigningKey();
  artifact = await writeArtifact({ manifest: sampleDraft(), files: sampleFiles() });
  signature = signManifest((await readArtifact(artifact)).manifestBytes, key);
  trust = {
    keys: [
      { keyId: other.keyId, publicKey: other.publicKey },
      { keyId: key.keyId, publicKey: key.publicKey },
    ],
  };
});

describe('artifact signatures (ed25519 over manifest.json)', () => {
  it('verify detached and embedded, with several trusted keys', async () => {
    expect((await verifySignedArtifact(artifact, trust, { signature })).keyId).toBe(key.keyId);
    const { manifest, files } = await readArtifact(artifact);
    const embedded = await writeArtifact({ manifest, files, signature });
    expect((await verifySignedArtifact(embedded, trust)).keyId).toBe(key.keyId);
    await expect(verifySignedArtifact(artifact, trust)).rejects.toThrow(/not signed/);
  });

  it('fail when any single byte of the artifact changes', async () => {
    let accepted = 0;
    for (let i = 0; i < artifact.length; i++) {
      const bad = artifact.slice();
      bad[i]! ^= 0x01;
      try {
        await verifySignedArtifact(bad, trust, { signature });
        accepted++;
      } catch {
        // refused, as it must be
      }
    }
    expect(accepted).toBe(0);
  });

  it('fail when a file or the manifest is changed and every hash is recomputed (what an attacker does)', async () => {
    const { manifest, files } = await readArtifact(artifact);
    // a weight changed, manifest.files and manifest.sha256 updated to match
    const weights = files.get('weights.bin')!.slice();
    weights[0]! ^= 0xff;
    const tampered = await writeArtifact({ manifest, files: new Map([...files, ['weights.bin', weights]]) });
    await readArtifact(tampered); // the container is consistent ...
    await expect(verifySignedArtifact(tampered, trust, { signature })).rejects.toThrow(
      /does not match manifest.json/,
    );
    // every single byte of manifest.json changed in turn, manifest.sha256 recomputed
    const entries = unpackTar(artifact);
    const manifestBytes = entries[0]!.data;
    let accepted = 0;
    for (let i = 0; i < manifestBytes.length; i++) {
      const m = manifestBytes.slice();
      m[i]! ^= 0x01;
      const hash = new TextEncoder().encode(`${await sha256Hex(m)}  manifest.json\n`);
      const bad = packTar(
        [{ path: 'manifest.json', data: m }, { path: 'manifest.sha256', data: hash }, ...entries.slice(2)],
        0,
      );
      try {
        await verifySignedArtifact(bad, trust, { signature });
        accepted++;
      } catch {
        // refused
      }
    }
    expect(accepted).toBe(0);
    // a parseable manifest with one field changed is refused by the signature, not the parser
    const edited = await packWithManifest(
      { ...manifest, kilnVersion: '9.9.9' },
      entries.slice(2).map((e) => ({ path: e.path, data: e.data })),
    );
    await expect(verifySignedArtifact(edited, trust, { signature })).rejects.toThrow(
      /does not match manifest.json/,
    );
  });

  it('fail for an unknown key, a revoked key, or a malformed signature', async () => {
    const onlyOther: TrustStore = { keys: [{ keyId: other.keyId, publicKey: other.publicKey }] };
    await expect(verifySignedArtifact(artifact, onlyOther, { signature })).rejects.toThrow(
      new RegExp(`unknown key ${key.keyId}`),
    );
    const revoked: TrustStore = { keys: [{ keyId: key.keyId, publicKey: key.publicKey, revoked: true }] };
    await expect(verifySignedArtifact(artifact, revoked, { signature })).rejects.toThrow(/revoked key/);
    // a signature by one key presented as another's
    const byOther = JSON.parse(
      new TextDecoder().decode(signManifest((await readArtifact(artifact)).manifestBytes, other)),
    );
    const swapped = new TextEncoder().encode(JSON.stringify({ ...byOther, keyId: key.keyId }));
    await expect(verifySignedArtifact(artifact, trust, { signature: swapped })).rejects.toThrow(
      /does not match/,
    );
    await expect(
      verifySignedArtifact(artifact, trust, { signature: new TextEncoder().encode('{"algorithm":"rsa"}') }),
    ).rejects.toThrow(/malformed/);
  });

  it('reads a trust store from JSON and refuses a bad one', () => {
    const store = parseTrustStore({
      keys: [{ keyId: key.keyId, publicKey: toBase64(key.publicKey), revoked: true }],
    });
    expect(store.keys[0]).toMatchObject({ keyId: key.keyId, revoked: true });
    expect(() => parseTrustStore({ keys: [{ keyId: 'x', publicKey: 'y' }] }, 'trust.json')).toThrow(
      /trust.json.*keys\[0\]\.keyId/,
    );
  });
});
