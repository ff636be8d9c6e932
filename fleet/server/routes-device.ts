import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../registry/errors.js';
import { sendBlob } from '../../registry/http/download.js';
import type { Registry } from '../../registry/registry.js';
import { getVariant } from '../../registry/variants.js';
import { deviceMayRead, desiredState } from '../desired.js';
import { updateDescription } from '../devices.js';
import { type DeviceDescription, enrollDevice } from '../enrollment.js';
import { ForbiddenError } from '../errors.js';
import { baselineBins } from '../monitoring/baselines.js';
import { type DeviceReport, recordReport } from '../reports.js';
import { artifactEntries } from './artifact-entries.js';
import { trustStatementsAfter } from '../../registry/trust-statements.js';

const description = {
  name: { type: 'string', minLength: 1, maxLength: 256 },
  target: { type: 'string' },
  features: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 64 },
  runtimeVersion: { type: 'string', maxLength: 64 },
} as const;
/** Only at enrollment: afterwards a device reports what it is, and operators set its tags. */
const enrollTags = { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 64 } as const;

const fileParams = {
  type: 'object',
  required: ['deviceId', 'variantId', '*'],
  properties: {
    deviceId: { type: 'string' },
    variantId: { type: 'integer', minimum: 1 },
    '*': { type: 'string', minLength: 1, maxLength: 100 },
  },
} as const;

const variantParams = {
  type: 'object',
  required: ['deviceId', 'variantId'],
  properties: { deviceId: { type: 'string' }, variantId: { type: 'integer', minimum: 1 } },
} as const;

/** Routes for devices: enroll with a one-time token, then read their desired state, download, report. */
export function deviceRoutes(
  app: FastifyInstance,
  reg: Registry,
  afterChange: () => void,
  telemetryIntervalMs: number,
): void {
  app.post<{ Body: DeviceDescription & { token: string } }>('/enroll', {
    schema: {
      body: {
        type: 'object',
        required: ['token', 'name', 'target', 'features', 'runtimeVersion'],
        additionalProperties: false,
        properties: { token: { type: 'string', maxLength: 256 }, ...description, tags: enrollTags },
      },
    },
    handler: async (req, reply) => {
      const { token, ...d } = req.body;
      const e = await enrollDevice(reg, token, d);
      afterChange(); // a live deployment takes the new device into its last wave
      return reply.code(201).send(e);
    },
  });

  app.get<{ Params: { deviceId: string } }>('/devices/:deviceId/desired', {
    config: { fleet: { device: true } },
    handler: async (req) => {
      const d = await desiredState(reg, req.params.deviceId);
      const bins =
        d.model !== undefined && d.version !== undefined
          ? await baselineBins(reg.db, d.model, d.version)
          : undefined;
      return { ...d, telemetry: { intervalMs: telemetryIntervalMs, ...(bins ? { bins } : {}) } };
    },
  });

  app.post<{
    Params: { deviceId: string };
    Body: DeviceReport & { device?: Omit<DeviceDescription, 'name'> };
  }>('/devices/:deviceId/reports', {
    config: { fleet: { device: true } },
    schema: {
      body: {
        type: 'object',
        required: ['outcome'],
        additionalProperties: false,
        properties: {
          deploymentId: { type: 'integer' },
          model: { type: 'string' },
          version: { type: 'integer' },
          outcome: { type: 'string', enum: ['installed', 'failed'] },
          reason: { type: 'string', maxLength: 4096 },
          running: {
            type: 'object',
            required: ['model', 'version'],
            additionalProperties: false,
            properties: { model: { type: 'string' }, version: { type: 'integer' } },
          },
          delivery: {
            type: 'object',
            required: ['mode', 'downloadedBytes', 'artifactBytes'],
            additionalProperties: false,
            properties: {
              mode: { type: 'string', enum: ['delta', 'full'] },
              downloadedBytes: { type: 'integer', minimum: 0 },
              artifactBytes: { type: 'integer', minimum: 0 },
              fallback: { type: 'string', maxLength: 4096 },
            },
          },
          device: {
            type: 'object',
            required: ['target', 'features', 'runtimeVersion'],
            additionalProperties: false,
            properties: {
              target: description.target,
              features: description.features,
              runtimeVersion: description.runtimeVersion,
            },
          },
        },
      },
    },
    handler: async (req, reply) => {
      const { device, ...report } = req.body;
      if (device) await updateDescription(reg, req.params.deviceId, device);
      await recordReport(reg, req.params.deviceId, report);
      afterChange();
      return reply.code(204).send();
    },
  });

  const checkRead = async (deviceId: string, variantId: number) => {
    if (!(await deviceMayRead(reg, deviceId, variantId))) {
      throw new ForbiddenError(`variant ${variantId} was never deployed to device ${deviceId}'s group`, {
        expected: "a variant from the device's desired state",
      });
    }
    return getVariant(reg, variantId);
  };

  app.get<{ Params: { deviceId: string; variantId: number } }>(
    '/devices/:deviceId/variants/:variantId/artifact',
    {
      config: { fleet: { device: true } },
      schema: { params: variantParams },
      handler: async (req, reply) => {
        const v = await checkRead(req.params.deviceId, req.params.variantId);
        return sendBlob(reg.blobs, v.artifact.sha256, req, reply);
      },
    },
  );

  app.get<{ Params: { deviceId: string; variantId: number } }>(
    '/devices/:deviceId/variants/:variantId/signature',
    {
      config: { fleet: { device: true } },
      schema: { params: variantParams },
      handler: async (req, reply) => {
        const v = await checkRead(req.params.deviceId, req.params.variantId);
        const sig = v.signatures.at(-1);
        if (!sig) return reply.code(404).send({ error: `variant ${v.id} has no signature` });
        return reply.type('application/json').send(sig.signature);
      },
    },
  );

  // delta delivery (docs/fleet.md): one entry of the artifact (manifest.json, model.wasm, …) by path,
  // cut from the stored artifact with ranges, so an agent fetches only the files it lacks
  app.get<{ Params: { deviceId: string; variantId: number; '*': string } }>(
    '/devices/:deviceId/variants/:variantId/files/*',
    {
      config: { fleet: { device: true } },
      schema: { params: fileParams },
      handler: async (req, reply) => {
        const v = await checkRead(req.params.deviceId, req.params.variantId);
        const path = req.params['*'];
        const span = (await artifactEntries(reg.blobs, v.artifact.sha256)).get(path);
        if (!span) {
          throw new NotFoundError(`variant ${v.id}'s artifact has no file '${path}'`, {
            expected: "a path listed in the artifact's manifest.json",
          });
        }
        return sendBlob(reg.blobs, v.artifact.sha256, req, reply, 'application/octet-stream', {
          ...span,
          etag: `${v.artifact.sha256}/${path}`,
        });
      },
    },
  );

  // trust-store renewal (docs/fleet.md): the signed statements newer than the device's pinned one
  app.get<{ Params: { deviceId: string }; Querystring: { after: number } }>('/devices/:deviceId/trust', {
    config: { fleet: { device: true } },
    schema: {
      querystring: {
        type: 'object',
        required: ['after'],
        properties: { after: { type: 'integer', minimum: 0 } },
      },
    },
    handler: async (req) => ({ statements: await trustStatementsAfter(reg, req.query.after) }),
  });
}
