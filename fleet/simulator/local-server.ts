import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from '../../registry/registry.js';
import { createToken } from '../../registry/tokens.js';
import { generateKey } from '../../registry/trust.js';
import { type FleetServerOptions, buildFleetServer } from '../server/app.js';

export interface LocalServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** An admin registry token (enrolls devices, publishes and deploys). */
  adminToken: string;
  app: FastifyInstance;
  registry: Registry;
  close(): Promise<void>;
}

/**
 * A fleet server on 127.0.0.1 (ephemeral port unless `port`) over a fresh registry in a temporary
 * folder, its tables there in SQLite or in the PostgreSQL database `db` names, with a signing key
 * and an admin token. `close()` stops it and removes the folder.
 */
export async function startLocalServer(
  o: {
    db?: string;
    port?: number;
    server?: Omit<FleetServerOptions, 'registry'>;
  } = {},
): Promise<LocalServer> {
  const home = await mkdtemp(join(tmpdir(), 'kiln-sim-registry-'));
  let registry: Registry | undefined;
  try {
    registry = await Registry.open({ home, actor: 'simulator', ...(o.db ? { db: o.db } : {}) });
    await generateKey(registry);
    const adminToken = (await createToken(registry, `simulator-${Date.now()}`, 'admin')).token;
    const app = await buildFleetServer({ advanceIntervalMs: 250, ...o.server, registry });
    const url = await app.listen({ host: '127.0.0.1', port: o.port ?? 0 });
    const reg = registry;
    return {
      url,
      adminToken,
      app,
      registry: reg,
      async close() {
        await app.close();
        await reg.close();
        await rm(home, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await registry?.close();
    await rm(home, { recursive: true, force: true });
    throw err;
  }
}
