import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { registryApi } from '../../registry/http/server.js';
import type { Registry } from '../../registry/registry.js';
import { advance } from '../advance.js';
import { STUDIO_PATH, studio } from '../studio/plugin.js';
import { fleetAuthHook } from './auth.js';
import { sendFleetError } from './errors.js';
import { deviceRoutes } from './routes-device.js';
import { operatorRoutes } from './routes-operator.js';
import { monitoringRoutes } from './routes-monitoring.js';
import { DEFAULT_TELEMETRY_INTERVAL_MS } from '../telemetry/types.js';
import { postAlert } from '../monitoring/alerts.js';
import { evaluateMonitoring } from '../monitoring/monitor.js';
import { overviewRoutes } from './routes-overview.js';

export interface FleetServerOptions {
  registry: Registry;
  /** How often deployments are advanced from the database (default 1 s; 0: only after changes). */
  advanceIntervalMs?: number;
  logger?: boolean;
  maxUploadBytes?: number;
  /** How often agents send telemetry (told in the desired state; default 10 s). */
  telemetryIntervalMs?: number;
  /** How often drift and regressions are evaluated (default 5 s; 0: never). */
  monitorIntervalMs?: number;
  /** The telemetry window each evaluation looks at (default 5 min). */
  monitorWindowMs?: number;
  /** Each new alert is POSTed here as JSON. */
  alertWebhook?: string;
  /** Serve Studio, the web dashboard, under /studio (default true). */
  studio?: boolean;
}

export const DEFAULT_ADVANCE_INTERVAL_MS = 1000;
export const DEFAULT_MONITOR_INTERVAL_MS = 5000;

const fleetApi: FastifyPluginAsync<{
  registry: Registry;
  afterChange: () => void;
  telemetryIntervalMs: number;
}> = async (app, o) => {
  app.addHook('onRequest', fleetAuthHook(o.registry));
  app.setErrorHandler(sendFleetError);
  operatorRoutes(app, o.registry, o.afterChange);
  overviewRoutes(app, o.registry);
  deviceRoutes(app, o.registry, o.afterChange, o.telemetryIntervalMs);
  monitoringRoutes(app, o.registry);
};

/**
 * The fleet server: the registry API under /registry/v1, the fleet API under /fleet/v1 and Studio
 * (the dashboard) under /studio/. It keeps no state that matters in memory: a timer (and every
 * report or change) runs advance(), which works from the database, so several processes on one
 * PostgreSQL agree.
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
  await app.register(fleetApi, {
    registry: reg,
    afterChange: kick,
    telemetryIntervalMs: options.telemetryIntervalMs ?? DEFAULT_TELEMETRY_INTERVAL_MS,
    prefix: '/fleet/v1',
  });
  startMonitor(app, options);
  if (options.studio ?? true) await app.register(studio, { prefix: STUDIO_PATH });
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

/** Drift and regression checks on a timer, one pass at a time; new alerts go to the webhook. */
function startMonitor(app: FastifyInstance, options: FleetServerOptions): void {
  const every = options.monitorIntervalMs ?? DEFAULT_MONITOR_INTERVAL_MS;
  if (!(every > 0)) return;
  let pass: Promise<void> | undefined;
  const timer = setInterval(() => {
    pass ??= evaluateMonitoring(options.registry.db, {
      ...(options.monitorWindowMs ? { windowMs: options.monitorWindowMs } : {}),
    })
      .then(async (alerts) => {
        for (const a of alerts) {
          app.log.warn({ alert: a }, a.message);
          if (!options.alertWebhook) continue;
          const failure = await postAlert(options.alertWebhook, a);
          if (failure) app.log.error(failure);
        }
      })
      .catch((err: unknown) => app.log.error(err, 'monitoring pass failed'))
      .finally(() => (pass = undefined));
  }, every);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await pass;
  });
}
