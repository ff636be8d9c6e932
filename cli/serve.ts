import { Command } from 'commander';
import { KilnError } from '../runtime/errors.js';
import { addRegistryOptions } from './registry-shared.js';
import { serveUntilSignal } from './serve-shared.js';

export function serveCommand(): Command {
  return addRegistryOptions(
    new Command('serve')
      .description(
        'run the fleet server: the registry API under /registry/v1, the fleet API under /fleet/v1 and Studio, the web dashboard, under /studio/ (bearer tokens from `kiln registry token create`)',
      )
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--port <port>', 'port', (v) => Number(v), 8700)
      .option(
        '--advance-interval-ms <ms>',
        'how often deployments are advanced from the database',
        (v) => Number(v),
        1000,
      )
      .option('--alert-webhook <url>', 'POST each new monitoring alert as JSON to this URL')
      .option('--telemetry-interval-ms <ms>', 'how often agents send telemetry', (v) => Number(v), 10_000)
      .option(
        '--monitor-interval-ms <ms>',
        'how often drift and regressions are checked',
        (v) => Number(v),
        5000,
      )
      .option(
        '--monitor-window-ms <ms>',
        'the telemetry window each check looks at',
        (v) => Number(v),
        300_000,
      ),
  ).action(
    async (
      o: {
        host: string;
        port: number;
        advanceIntervalMs: number;
        alertWebhook?: string;
        telemetryIntervalMs: number;
        monitorIntervalMs: number;
        monitorWindowMs: number;
      },
      cmd: Command,
    ) =>
      serveUntilSignal(
        cmd,
        o,
        async (registry) => {
          if (o.alertWebhook !== undefined && !/^https?:\/\//.test(o.alertWebhook)) {
            throw new KilnError(`invalid --alert-webhook '${o.alertWebhook}'`, {
              expected: 'an http:// or https:// URL',
            });
          }
          // fastify is loaded only by this command, not by every kiln invocation
          const { buildFleetServer } = await import('../fleet/server/app.js');
          return buildFleetServer({
            registry,
            advanceIntervalMs: o.advanceIntervalMs,
            telemetryIntervalMs: o.telemetryIntervalMs,
            monitorIntervalMs: o.monitorIntervalMs,
            monitorWindowMs: o.monitorWindowMs,
            ...(o.alertWebhook ? { alertWebhook: o.alertWebhook } : {}),
            logger: true,
          });
        },
        (address) => console.log(`Studio (sign in with a registry token): ${address}/studio/`),
      ),
  );
}
