import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { registryApi } from '../../registry/http/server.js';
import type { Registry } from '../../registry/registry.js';
import { advance } from '../advance.js';
import { fleetAuthHook } from './auth.js';
import { sendFleetError } from './errors.js';
import { deviceRoutes } from './routes-device.js';
import { operatorRoutes } from './routes-operator.js';

export interface FleetServerOptions {
  registry: Registry;
  /** How often deployments are advanced from the database (default 1 s; 0: only after changes). */
  advanceIntervalMs?: number;
  logger?: boolean;
  maxUploadBytes?: number;
}

export const DEFAULT_ADVANCE_INTERVAL_MS = 1000;

const fleetApi: FastifyPluginAsync<{ registry: Registry; afterChange: () => void }> = async (app, o) => {
  app.addHook('onRequest', fleetAuthHook(o.registry));
  app.setErrorHandler(sendFleetError);
  operatorRoutes(app, o.registry, o.afterChange);
  deviceRoutes(app, o.registry, o.afterChange);
};

/**
 * The fleet server: the registry API under /registry/v1 and the fleet API under /fleet/v1. It keeps
 * no state that matters in memory: a timer (and every report or change) runs advance(), which
 * works from the database, so several processes on one PostgreSQL agree.
 */
export async function buildFleetServer(options: FleetServerOptions): Promise<FastifyInstance> {
  const reg = options.registry;
  const app = Fastify({ logger: options.logger ?? false });
  let running: Promise<unknown> | undefined;
  let again = false;
  // one advance at a time per process; a change arriving meanwhile runs one more afterwards
  const kick = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = advance(reg)
      .catch((err: unknown) => app.log.error(err, 'advancing deployments failed'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  };
  await app.register(registryApi, {
    registry: reg,
    prefix: '/registry/v1',
    ...(options.maxUploadBytes ? { maxUploadBytes: options.maxUploadBytes } : {}),
  });
  await app.register(fleetApi, { registry: reg, afterChange: kick, prefix: '/fleet/v1' });
  const interval = options.advanceIntervalMs ?? DEFAULT_ADVANCE_INTERVAL_MS;
  if (interval > 0) {
    const timer = setInterval(kick, interval);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  app.addHook('onClose', async () => {
    await running;
  });
  return app;
}
