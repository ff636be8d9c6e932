import { Command } from 'commander';
import { addRegistryOptions } from './registry-shared.js';
import { serveUntilSignal } from './serve-shared.js';

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
  ).action(async (o: { host: string; port: number; advanceIntervalMs: number }, cmd: Command) =>
    serveUntilSignal(cmd, o, async (registry) => {
      // fastify is loaded only by this command, not by every kiln invocation
      const { buildFleetServer } = await import('../fleet/server/app.js');
      return buildFleetServer({ registry, advanceIntervalMs: o.advanceIntervalMs, logger: true });
    }),
  );
}
