import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { Registry } from '../registry/registry.js';
import { openRegistry } from './registry-shared.js';

/**
 * Build a server over the command's registry, listen, and run until SIGINT/SIGTERM, then close the
 * server (in-flight requests finish) and the registry before exiting.
 */
export async function serveUntilSignal(
  cmd: Command,
  listen: { host: string; port: number },
  build: (registry: Registry) => Promise<FastifyInstance>,
  /** Called with the listening address (http://HOST:PORT), e.g. to print where to go. */
  ready?: (address: string) => void,
): Promise<never> {
  const registry = await openRegistry(cmd);
  const app = await build(registry);
  const close = async () => {
    await app.close();
    await registry.close();
    process.exit(0);
  };
  process.once('SIGINT', close);
  process.once('SIGTERM', close);
  const address = await app.listen(listen);
  ready?.(address);
  return new Promise<never>(() => undefined); // until a signal arrives
}
