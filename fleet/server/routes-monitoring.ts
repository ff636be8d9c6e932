import type { FastifyInstance } from 'fastify';
import type { Registry } from '../../registry/registry.js';
import { ALERT_STATES, ackAlert, listAlerts } from '../monitoring/alerts.js';
import { getBaseline, recordBaseline } from '../monitoring/baselines.js';
import { MAX_UPLOAD_BATCHES, ingestTelemetry } from '../monitoring/ingest.js';
import { DEFAULT_MONITOR_WINDOW_MS } from '../monitoring/monitor.js';
import { monitoredVersions } from '../monitoring/query.js';
import { currentDrift, versionSeries } from '../monitoring/series.js';
import type { AlertState, BaselineUpload, TelemetryUpload } from '../telemetry/types.js';

const DAY_MS = 24 * 60 * 60_000;
const HOUR_MS = 60 * 60_000;

const counts = { type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: 4096 } as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const batchSchema = {
  type: 'object',
  required: ['id', 'model', 'version', 'variantId', 'start', 'end', 'runs', 'errors', 'latency', 'inputs'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64 },
    model: { type: 'string', minLength: 1, maxLength: 200 },
    version: { type: 'integer', minimum: 1 },
    variantId: { type: 'integer', minimum: 1 },
    start: { type: 'integer', minimum: 0 },
    end: { type: 'integer', minimum: 0 },
    runs: { type: 'integer', minimum: 0 },
    errors: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 }, maxProperties: 64 },
    latency: {
      type: 'object',
      required: ['counts', 'sumMs'],
      additionalProperties: false,
      properties: { counts, sumMs: { type: 'number', minimum: 0 } },
    },
    inputs: {
      type: 'object',
      maxProperties: 256,
      additionalProperties: {
        type: 'object',
        required: ['channels'],
        additionalProperties: false,
        properties: {
          channels: {
            type: 'array',
            maxItems: 64,
            items: {
              type: 'object',
              required: ['count', 'mean', 'm2', 'min', 'max', 'hist'],
              additionalProperties: false,
              properties: {
                count: { type: 'integer', minimum: 0 },
                mean: { type: 'number' },
                m2: { type: 'number', minimum: 0 },
                min: nullableNumber,
                max: nullableNumber,
                hist: counts,
              },
            },
          },
        },
      },
    },
  },
} as const;

const versionParams = {
  type: 'object',
  required: ['model', 'version'],
  properties: { model: { type: 'string', maxLength: 200 }, version: { type: 'integer', minimum: 1 } },
} as const;
const text = { type: 'string', maxLength: 200 } as const;
const ms = { type: 'integer', minimum: 0 } as const;

/** Telemetry ingest (devices) and the monitoring API (operators): docs/monitoring.md. */
export function monitoringRoutes(app: FastifyInstance, reg: Registry): void {
  app.post<{ Params: { deviceId: string }; Body: TelemetryUpload }>('/devices/:deviceId/telemetry', {
    config: { fleet: { device: true } },
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      body: {
        type: 'object',
        required: ['batches', 'dropped'],
        additionalProperties: false,
        properties: {
          batches: { type: 'array', items: batchSchema, maxItems: MAX_UPLOAD_BATCHES },
          dropped: { type: 'integer', minimum: 0 },
        },
      },
    },
    handler: async (req, reply) => {
      await ingestTelemetry(reg, req.params.deviceId, req.body);
      return reply.code(204).send();
    },
  });

  app.get<{ Querystring: { model?: string; group?: string; since?: number } }>('/monitoring/versions', {
    config: { fleet: { scope: 'read' } },
    schema: { querystring: { type: 'object', properties: { model: text, group: text, since: ms } } },
    handler: async (req) =>
      monitoredVersions(reg.db, {
        since: req.query.since ?? Date.now() - DAY_MS,
        model: req.query.model,
        group: req.query.group,
      }),
  });

  app.get<{
    Params: { model: string; version: number };
    Querystring: { group?: string; since?: number; until?: number; step?: number };
  }>('/monitoring/versions/:model/:version', {
    config: { fleet: { scope: 'read' } },
    schema: {
      params: versionParams,
      querystring: {
        type: 'object',
        properties: { group: text, since: ms, until: ms, step: { type: 'integer', minimum: 1 } },
      },
    },
    handler: async (req) => {
      const until = req.query.until ?? Date.now();
      return versionSeries(reg.db, {
        ...req.params,
        group: req.query.group,
        since: req.query.since ?? until - HOUR_MS,
        until,
        step: req.query.step ?? 60_000,
      });
    },
  });

  app.get<{ Querystring: { model: string; version: number; group?: string; since?: number } }>(
    '/monitoring/drift',
    {
      config: { fleet: { scope: 'read' } },
      schema: {
        querystring: {
          type: 'object',
          required: ['model', 'version'],
          properties: { model: text, version: { type: 'integer', minimum: 1 }, group: text, since: ms },
        },
      },
      handler: async (req) => {
        const until = Date.now() + 1;
        return currentDrift(reg.db, {
          model: req.query.model,
          version: req.query.version,
          group: req.query.group,
          since: req.query.since ?? until - DEFAULT_MONITOR_WINDOW_MS,
          until,
        });
      },
    },
  );

  app.get<{ Params: { model: string; version: number } }>('/monitoring/baselines/:model/:version', {
    config: { fleet: { scope: 'read' } },
    schema: { params: versionParams },
    handler: async (req) => getBaseline(reg, req.params.model, req.params.version),
  });

  app.put<{ Params: { model: string; version: number }; Body: BaselineUpload }>(
    '/monitoring/baselines/:model/:version',
    {
      config: { fleet: { scope: 'write' } },
      bodyLimit: 256 * 1024 * 1024,
      schema: {
        params: versionParams,
        body: {
          type: 'object',
          required: ['inputs'],
          additionalProperties: false,
          properties: {
            inputs: {
              type: 'object',
              minProperties: 1,
              additionalProperties: {
                type: 'object',
                required: ['dims', 'data'],
                additionalProperties: false,
                properties: {
                  dims: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1, maxItems: 8 },
                  data: { type: 'array', items: { type: 'number' } },
                },
              },
            },
          },
        },
      },
      handler: async (req, reply) =>
        reply
          .code(201)
          .send(await recordBaseline(reg, req.params.model, req.params.version, req.body.inputs)),
    },
  );

  app.get<{ Querystring: { state?: AlertState | 'all'; group?: string; model?: string; kind?: string } }>(
    '/alerts',
    {
      config: { fleet: { scope: 'read' } },
      schema: {
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: [...ALERT_STATES] },
            group: text,
            model: text,
            kind: text,
          },
        },
      },
      handler: async (req) => listAlerts(reg.db, req.query),
    },
  );

  app.post<{ Params: { id: number } }>('/alerts/:id/ack', {
    config: { fleet: { scope: 'write' } },
    schema: {
      params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
    },
    handler: async (req) => ackAlert(reg, req.params.id, req.operator!.name),
  });
}
