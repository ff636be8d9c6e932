import type { FastifyInstance } from 'fastify';
import { rollbackGroup } from '../rollback.js';
import type { Registry } from '../../registry/registry.js';
import { waveHealth } from '../advance.js';
import { deliverySummary } from '../delivery.js';
import {
  type DeploymentInput,
  controlDeployment,
  createDeployment,
  getDeployment,
  listDeployments,
} from '../deployments.js';
import { getDevice, listDevices, setDeviceTags } from '../devices.js';
import type { Tags } from '../tags.js';
import { createEnrollmentToken } from '../enrollment.js';
import { createGroup, listGroups } from '../groups.js';
import { waveProgress } from '../overview.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;
const groupQuery = { type: 'object', properties: { group: { type: 'string', maxLength: 128 } } } as const;
/** Shape only; fleet/tags.ts checks keys and values and names the one that is wrong. */
const tagsSchema = { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 64 } as const;

/** Routes for operators (registry tokens): groups, enrollment tokens, devices, deployments. */
export function operatorRoutes(app: FastifyInstance, reg: Registry, afterChange: () => void): void {
  app.get('/groups', { config: { fleet: { scope: 'read' } }, handler: async () => listGroups(reg) });

  app.post<{ Body: { name: string; filter?: string } }>('/groups', {
    config: { fleet: { scope: 'write' } },
    schema: {
      body: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: 'string' }, filter: { type: 'string' } },
      },
    },
    handler: async (req, reply) => {
      const g = await createGroup(reg, req.body.name, req.body.filter);
      return reply.code(201).send(g);
    },
  });

  app.post<{ Body: { group: string; ttlSeconds?: number; tags?: Tags } }>('/enrollment-tokens', {
    config: { fleet: { scope: 'admin' } },
    schema: {
      body: {
        type: 'object',
        required: ['group'],
        additionalProperties: false,
        properties: {
          group: { type: 'string' },
          ttlSeconds: { type: 'integer', minimum: 1 },
          tags: tagsSchema,
        },
      },
    },
    handler: async (req, reply) =>
      reply
        .code(201)
        .send(await createEnrollmentToken(reg, req.body.group, req.body.ttlSeconds, req.body.tags)),
  });

  app.get<{ Querystring: { group?: string; filter?: string } }>('/devices', {
    config: { fleet: { scope: 'read' } },
    schema: {
      querystring: {
        type: 'object',
        properties: { ...groupQuery.properties, filter: { type: 'string', maxLength: 2048 } },
      },
    },
    handler: async (req) => listDevices(reg, req.query),
  });

  app.patch<{ Params: { deviceId: string }; Body: { set?: Tags; remove?: string[] } }>(
    '/devices/:deviceId/tags',
    {
      // operators only: a device credential gets 403 here (a device cannot tag itself)
      config: { fleet: { scope: 'write' } },
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { set: tagsSchema, remove: { type: 'array', items: { type: 'string' }, maxItems: 64 } },
        },
      },
      handler: async (req) => {
        const d = await setDeviceTags(reg, req.params.deviceId, req.body);
        afterChange(); // a device tagged into a group with a live deployment joins its last wave
        return d;
      },
    },
  );

  app.get<{ Params: { deviceId: string } }>('/devices/:deviceId', {
    config: { fleet: { scope: 'read', device: true } },
    handler: async (req) => getDevice(reg, req.params.deviceId),
  });

  app.get<{ Querystring: { group?: string } }>('/deployments', {
    config: { fleet: { scope: 'read' } },
    schema: { querystring: groupQuery },
    handler: async (req) => listDeployments(reg, req.query.group),
  });

  app.get<{ Params: { id: number } }>('/deployments/:id', {
    config: { fleet: { scope: 'read' } },
    schema: { params: idParams },
    handler: async (req) => {
      const d = await getDeployment(reg, req.params.id);
      return {
        ...d,
        health: await waveHealth(reg.db, d.id, d.wave),
        progress: await waveProgress(reg.db, d),
        delivery: await deliverySummary(reg.db, d.id),
      };
    },
  });

  app.post<{ Body: Omit<DeploymentInput, 'actor'> }>('/deployments', {
    config: { fleet: { scope: 'write' } },
    schema: {
      body: {
        type: 'object',
        required: ['group', 'model', 'strategy'],
        additionalProperties: false,
        properties: {
          group: { type: 'string' },
          model: { type: 'string', maxLength: 200 },
          strategy: { type: 'object', required: ['kind'], additionalProperties: true },
          maxFailureRate: { type: 'number' },
          soakMs: { type: 'integer' },
          waveTimeoutMs: { type: 'integer' },
          maxErrorRateIncrease: { type: 'number' },
          maxP95Ratio: { type: 'number' },
          delta: { type: 'boolean' },
        },
      },
    },
    handler: async (req, reply) => {
      const d = await createDeployment(reg, { ...req.body, actor: req.operator!.name });
      afterChange();
      return reply.code(201).send(d);
    },
  });

  app.post<{ Params: { group: string }; Body: { to?: number; waveTimeoutMs?: number } }>(
    '/groups/:group/rollback',
    {
      config: { fleet: { scope: 'write' } },
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { to: { type: 'integer', minimum: 1 }, waveTimeoutMs: { type: 'integer', minimum: 1 } },
        },
      },
      handler: async (req, reply) => {
        const d = await rollbackGroup(reg, {
          group: req.params.group,
          ...req.body,
          actor: req.operator!.name,
        });
        afterChange();
        return reply.code(201).send(d);
      },
    },
  );

  for (const action of ['pause', 'resume', 'abort'] as const) {
    app.post<{ Params: { id: number } }>(`/deployments/:id/${action}`, {
      config: { fleet: { scope: 'write' } },
      schema: { params: idParams },
      handler: async (req) => {
        const d = await controlDeployment(reg, req.params.id, action, req.operator!.name);
        afterChange();
        return d;
      },
    });
  }
}
