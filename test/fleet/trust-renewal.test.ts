import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../fleet/agent/agent.js';
import { renewTrust } from '../../fleet/agent/trust-renewal.js';
import { Registry } from '../../registry/registry.js';
import { generateSigningKey, signManifest } from '../../registry/signing/keys.js';
import {
  type SignedTrustStatement,
  trustStatementText,
  trustStatementsAfter,
} from '../../registry/trust-statements.js';
import { generateKey, revokeKey } from '../../registry/trust.js';
import { toBase64 } from '../../runtime/artifact/signature.js';
import { startAgents } from './agents.js';
import {
  BACKENDS,
  type TestFleet,
  dropTestDatabases,
  eventually,
  modelV,
  publish,
  startFleet,
  suiteTitle,
} from './fixtures.js';

const keysOf = (s: SignedTrustStatement) => (JSON.parse(s.statement) as { keys: unknown }).keys;

describe('trust-store statements and their renewal chain', () => {
  let home: string;
  let reg: Registry;
  let chain: SignedTrustStatement[];
  let k1 = '';
  let k2 = '';

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'kiln-trust-'));
    reg = await Registry.open({ home, actor: 'tester' });
    k1 = (await generateKey(reg)).keyId; // statement 1: {k1}, signed by k1
    k2 = (await generateKey(reg)).keyId; // statement 2: {k1, k2}, signed by both
    await revokeKey(reg, k1, 'rotated'); // statement 3: {k1 revoked, k2}, signed by k2
    chain = await trustStatementsAfter(reg, 0);
  });
  afterAll(async () => {
    await reg?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('records one statement per key change, each signed by the keys that could sign then', () => {
    expect(chain.map((s) => s.version)).toEqual([1, 2, 3]);
    const signers = chain.map((s) =>
      s.signatures.map((x) => (JSON.parse(x) as { keyId: string }).keyId).sort(),
    );
    expect(signers).toEqual([[k1], [k1, k2].sort(), [k2]]);
    expect(keysOf(chain[2]!)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ keyId: k1, revoked: true }),
        expect.objectContaining({ keyId: k2, revoked: false }),
      ]),
    );
  });

  it('a device pinned to the first store follows the rotation step by step, to a store without the revoked key', async () => {
    const renewed = await renewTrust({ json: { keys: keysOf(chain[0]!) }, version: 1 }, chain.slice(1));
    expect(renewed.version).toBe(3);
    expect(renewed.json).toEqual({ keys: keysOf(chain[2]!) });
  });

  it('refuses a skipped step: statement 3 alone is signed by a key the first store does not know', async () => {
    await expect(renewTrust({ json: { keys: keysOf(chain[0]!) }, version: 1 }, [chain[2]!])).rejects.toThrow(
      /trust statement 3 is not signed by any key this device trusts.*unknown key/,
    );
  });

  it('refuses a statement signed by an unknown key', async () => {
    const rogue = await generateSigningKey();
    const statement = trustStatementText({
      kind: 'kiln-trust-store',
      version: 2,
      keys: [{ keyId: rogue.keyId, publicKey: toBase64(rogue.publicKey), revoked: false }],
    });
    const forged: SignedTrustStatement = {
      version: 2,
      statement,
      signatures: [new TextDecoder().decode(signManifest(new TextEncoder().encode(statement), rogue))],
    };
    await expect(renewTrust({ json: { keys: keysOf(chain[0]!) }, version: 1 }, [forged])).rejects.toThrow(
      new RegExp(`not signed by any key this device trusts.*unknown key ${rogue.keyId}`),
    );
  });

  it('refuses an older or equal statement replayed, and a statement altered after signing', async () => {
    const pinned = { json: { keys: keysOf(chain[2]!) }, version: 3 };
    await expect(renewTrust(pinned, [chain[1]!])).rejects.toThrow(
      /trust statement 2 is not newer than the pinned trust store \(version 3\): a replayed statement/,
    );
    await expect(renewTrust(pinned, [chain[2]!])).rejects.toThrow(/not newer/);
    const altered = {
      ...chain[1]!,
      statement: chain[1]!.statement.replace('"revoked": false', '"revoked": true'),
    };
    expect(altered.statement).not.toBe(chain[1]!.statement);
    await expect(renewTrust({ json: { keys: keysOf(chain[0]!) }, version: 1 }, [altered])).rejects.toThrow(
      /does not match/,
    );
  });
});

for (const backend of BACKENDS) {
  describe.skipIf(!!backend.skip)(suiteTitle('a device enrolled before a key rotation', backend), () => {
    let f: TestFleet;
    let agent: Agent;
    let dir = '';
    const deploy = async (v: number) => {
      const r = await f.api('POST', '/deployments', f.adminToken, {
        group: 'rot',
        model: `det@${v}`,
        strategy: { kind: 'all-at-once' },
        soakMs: 0,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };
    const settled = (id: number) =>
      eventually(async () => {
        const d = await f.api('GET', `/deployments/${id}`, f.readToken);
        return d.json.state === 'running' ? undefined : (d.json as { state: string });
      });
    const pinnedOnDisk = () =>
      JSON.parse(readFileSync(join(dir, 'identity.json'), 'utf8')) as {
        trustVersion: number;
        trust: { keys: { keyId: string; revoked: boolean }[] };
      };

    beforeAll(async () => {
      f = await startFleet(backend); // makes k1: statement 1
      await f.api('POST', '/groups', f.adminToken, { name: 'rot' });
      [agent] = (await startAgents(f, 'rot', 1)) as [Agent];
      dir = (agent as unknown as { options: { dir: string } }).options.dir;
      expect(agent.trustVersion).toBe(1);
      const first = await deploy(await publish(f.reg, 'det', modelV(1)));
      expect(await agent.syncOnce()).toMatchObject({ action: 'installed', version: 1 });
      expect((await settled(first)).state).toBe('succeeded');
    });
    afterAll(async () => {
      await agent?.stop();
      await f?.close();
      await dropTestDatabases();
    });

    it('renews its pinned store: the revoked key stops being trusted, the new key signs variants and rollback orders', async () => {
      const oldKey = pinnedOnDisk().trust.keys[0]!.keyId;
      const signedByOld = await publish(f.reg, 'det', modelV(2)); // signed before the rotation
      const newKey = (await generateKey(f.reg)).keyId;
      await revokeKey(f.reg, oldKey, 'rotated');

      // a variant signed by the revoked key: the renewed store refuses it (the enrolled one trusted it)
      const refusedId = await deploy(signedByOld);
      const r = await agent.syncOnce();
      expect(r).toMatchObject({ action: 'refused', version: signedByOld });
      expect((r as { reason: string }).reason).toMatch(new RegExp(`signed by revoked key ${oldKey}`));
      expect(agent.trustVersion).toBe(3);
      expect(agent.trustRenewalRefused).toBeUndefined();
      const onDisk = pinnedOnDisk();
      expect(onDisk.trustVersion).toBe(3);
      expect(onDisk.trust.keys).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ keyId: oldKey, revoked: true }),
          expect.objectContaining({ keyId: newKey, revoked: false }),
        ]),
      );
      expect((await settled(refusedId)).state).toBe('rolled_back');

      // versions signed only by the new key reach the device
      const v3 = await publish(f.reg, 'det', modelV(3));
      const v4 = await publish(f.reg, 'det', modelV(4));
      const third = await deploy(v3);
      expect(await agent.syncOnce()).toMatchObject({ action: 'installed', version: v3 });
      expect((await settled(third)).state).toBe('succeeded');
      const last = await deploy(v4);
      expect(await agent.syncOnce()).toMatchObject({ action: 'installed', version: v4 });
      expect((await settled(last)).state).toBe('succeeded');

      // and so does a rollback order, which the server signs with the new key
      const back = await f.api('POST', '/groups/rot/rollback', f.adminToken, {});
      expect(back.status, JSON.stringify(back.json)).toBe(201);
      expect(await agent.syncOnce()).toMatchObject({ action: 'installed', version: v3 });

      // a restart comes back on the renewed store from disk and verifies the slot with it
      await agent.stop();
      agent = await Agent.start({ server: f.url, dir });
      expect(agent.trustVersion).toBe(3);
      expect(agent.running).toMatchObject({ version: v3 });
    });
  });
}
