import { Command } from 'commander';
import { Registry } from '../registry/registry.js';
import { addRegistryOptions } from './registry-shared.js';

export function serveCommand(): Command {
  return addRegistryOptions(
    new Command('serve')
      .description(
        'run the fleet server: the registry API under /registry/v1 and the fleet API under /fleet/v1 (bearer tokens from `kiln registry token create`)',
      )
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--port <port>', 'port', (v) => Number(v), 8700)
      .option(
        '--advance-interval-ms <ms>',
        'how often deployments are advanced from the database',
        (v) => Number(v),
        1000,
      ),
  ).action(
    async (o: { host: string; port: number; advanceIntervalMs: number; home?: string; db?: string }) => {
      const registry = await Registry.open({
        ...(o.home ? { home: o.home } : {}),
        ...(o.db ? { db: o.db } : {}),
      });
      // fastify is loaded only by this command, not by every kiln invocation
      const { buildFleetServer } = await import('../fleet/server/app.js');
      const app = await buildFleetServer({ registry, advanceIntervalMs: o.advanceIntervalMs, logger: true });
      const close = async () => {
        await app.close();
        await registry.close();
        process.exit(0);
      };
      process.once('SIGINT', close);
      process.once('SIGTERM', close);
      await app.listen({ host: o.host, port: o.port });
      await new Promise(() => undefined); // until a signal arrives
    },
  );
}
