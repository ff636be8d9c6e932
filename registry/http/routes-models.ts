import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { KilnError } from '../../runtime/errors.js';
import { aliasHistory, setAlias } from '../aliases.js';
import { approvalHistory, decide } from '../approvals.js';
import { listBenchmarks } from '../benchmarks.js';
import { diffVersions } from '../diff.js';
import { TooLargeError } from '../errors.js';
import { parseVersionRef } from '../refs.js';
import type { Registry } from '../registry.js';
import { listVariants } from '../variants.js';
import { addVersion, getModel, getVersion, listModels, listVersions } from '../versions.js';
import * as s from './schemas.js';

type Ref = { name: string; ref: string };
const toRef = (p: Ref) => parseVersionRef(`${p.name}@${p.ref}`);

/** Models, versions (upload), aliases, approvals and diffs. */
export function modelRoutes(app: FastifyInstance, reg: Registry, maxUploadBytes: number): void {
  const nameParams = { type: 'object', required: ['name'], properties: { name: s.modelName } } as const;
  const refParams = {
    type: 'object',
    required: ['name', 'ref'],
    properties: { name: s.modelName, ref: s.versionRef },
  } as const;
  const e = { 400: s.error, 401: s.error, 403: s.error, 404: s.error };

  app.get('/models', {
    config: { scope: 'read' },
    schema: { summary: 'list models', response: { 200: { type: 'array', items: s.model }, ...e } },
    handler: async () => listModels(reg),
  });

  app.get<{ Params: { name: string } }>('/models/:name', {
    config: { scope: 'read' },
    schema: {
      summary: 'a model and its versions',
      params: nameParams,
      response: {
        200: {
          type: 'object',
          properties: { model: s.model, versions: { type: 'array', items: s.version } },
        },
        ...e,
      },
    },
    handler: async (req) => ({
      model: await getModel(reg, req.params.name),
      versions: await listVersions(reg, req.params.name),
    }),
  });

  app.post<{
    Params: { name: string };
    Querystring: {
      sourceName?: string;
      description?: string;
      parentVersion?: number;
      dataset?: string;
      trainingRun?: string;
      metrics?: string;
      params?: string;
    };
  }>('/models/:name/versions', {
    config: { scope: 'write' },
    schema: {
      summary:
        'add a version: the body is the ONNX file (application/octet-stream), streamed to the blob store',
      params: nameParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          sourceName: { type: 'string', pattern: '^[^/\\\\]{1,255}$' },
          description: { type: 'string', maxLength: 4096 },
          parentVersion: { type: 'integer', minimum: 1 },
          dataset: { type: 'string', maxLength: 1024 },
          trainingRun: { type: 'string', maxLength: 1024 },
          metrics: { type: 'string', description: 'JSON object of numbers', maxLength: 65536 },
          params: { type: 'string', description: 'JSON object', maxLength: 65536 },
        },
      },
      headers: {
        type: 'object',
        required: ['content-type'],
        properties: { 'content-type': { type: 'string', const: 'application/octet-stream' } },
      },
      response: { 201: s.version, ...e, 409: s.error, 413: s.error },
    },
    handler: async (req, reply) => {
      const length = Number(req.headers['content-length']);
      if (Number.isFinite(length) && length > maxUploadBytes) {
        throw new TooLargeError(
          `upload of ${length} bytes is larger than the limit of ${maxUploadBytes} bytes`,
        );
      }
      const q = req.query;
      const v = await addVersion(reg, {
        name: req.params.name,
        // stopping at the size limit must not destroy the request: the client is still owed its 413
        source: (req.body as Readable).iterator({ destroyOnReturn: false }),
        sourceName: q.sourceName ?? `${req.params.name}.onnx`,
        maxBytes: maxUploadBytes,
        ...(q.description !== undefined ? { description: q.description } : {}),
        metrics: parseJsonParam(q.metrics, 'metrics') as Record<string, number> | undefined,
        params: parseJsonParam(q.params, 'params') as Record<string, unknown> | undefined,
        lineage: {
          ...(q.parentVersion !== undefined ? { parentVersion: q.parentVersion } : {}),
          ...(q.dataset !== undefined ? { dataset: q.dataset } : {}),
          ...(q.trainingRun !== undefined ? { trainingRun: q.trainingRun } : {}),
        },
        actor: req.token!.name,
      });
      return reply.code(201).send(v);
    },
  });

  app.get<{ Params: Ref }>('/models/:name/versions/:ref', {
    config: { scope: 'read' },
    schema: {
      summary: 'a version (by number, alias or latest) with its variants and benchmarks',
      params: refParams,
      response: {
        200: {
          type: 'object',
          properties: {
            version: s.version,
            variants: { type: 'array', items: s.variant },
            benchmarks: { type: 'array', items: s.benchmark },
            approvalHistory: { type: 'array', items: { type: 'object', additionalProperties: true } },
          },
        },
        ...e,
      },
    },
    handler: async (req) => {
      const ref = toRef(req.params);
      const variants = await listVariants(reg, ref);
      return {
        version: await getVersion(reg, ref),
        variants,
        benchmarks: await listBenchmarks(
          reg,
          variants.map((v) => v.id),
        ),
        approvalHistory: await approvalHistory(reg, ref),
      };
    },
  });

  app.put<{ Params: { name: string; alias: string }; Body: { version: number } }>(
    '/models/:name/aliases/:alias',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'point an alias at a version (recorded in the alias history)',
        params: {
          type: 'object',
          required: ['name', 'alias'],
          properties: { name: s.modelName, alias: s.aliasName },
        },
        body: {
          type: 'object',
          required: ['version'],
          additionalProperties: false,
          properties: { version: { type: 'integer', minimum: 1 } },
        },
        response: { 200: s.aliasEvent, ...e },
      },
      handler: async (req) =>
        setAlias(reg, { name: req.params.name, ref: req.body.version }, req.params.alias, req.token!.name),
    },
  );

  app.get<{ Params: { name: string } }>('/models/:name/aliases', {
    config: { scope: 'read' },
    schema: {
      summary: 'alias history, oldest first',
      params: nameParams,
      response: { 200: { type: 'array', items: s.aliasEvent }, ...e },
    },
    handler: async (req) => {
      await getModel(reg, req.params.name);
      return aliasHistory(reg, req.params.name);
    },
  });

  app.post<{ Params: Ref; Body: { status: 'approved' | 'rejected'; reason?: string } }>(
    '/models/:name/versions/:ref/approval',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'approve or reject a version (admin)',
        params: refParams,
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['approved', 'rejected'] },
            reason: { type: 'string', maxLength: 4096 },
          },
        },
        response: { 200: { type: 'object', additionalProperties: true }, ...e },
      },
      handler: async (req) =>
        decide(reg, toRef(req.params), req.body.status, req.body.reason, req.token!.name),
    },
  );

  app.get<{ Querystring: { a: string; b: string } }>('/diff', {
    config: { scope: 'read' },
    schema: {
      summary: 'graph and metric differences between two versions (NAME@VERSION each)',
      querystring: {
        type: 'object',
        required: ['a', 'b'],
        properties: { a: { type: 'string', maxLength: 200 }, b: { type: 'string', maxLength: 200 } },
      },
      response: { 200: { type: 'object', additionalProperties: true }, ...e },
    },
    handler: async (req) => diffVersions(reg, parseVersionRef(req.query.a), parseVersionRef(req.query.b)),
  });
}

function parseJsonParam(text: string | undefined, what: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new KilnError(`query parameter '${what}' is not JSON: ${(err as Error).message}`, {
      expected: 'a JSON object',
    });
  }
}
