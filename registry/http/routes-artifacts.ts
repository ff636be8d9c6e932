import type { FastifyInstance } from 'fastify';
import { addBenchmark, recordDeployment, type BenchmarkInput } from '../benchmarks.js';
import { parseVersionRef } from '../refs.js';
import type { Registry } from '../registry.js';
import { trustStoreJson } from '../trust.js';
import { compileVariant, getVariant } from '../variants.js';
import { sendBlob } from './download.js';
import * as s from './schemas.js';

/** Compiled variants (compile, download, signature), benchmarks, deployments, blobs and the trust store. */
export function artifactRoutes(app: FastifyInstance, reg: Registry): void {
  const e = { 400: s.error, 401: s.error, 403: s.error, 404: s.error };
  const idParams = {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'integer', minimum: 1 } },
  } as const;

  app.post<{
    Params: { name: string; ref: string };
    Body: { target: string; passes?: string[]; optimize?: boolean; force?: boolean };
  }>('/models/:name/versions/:ref/variants', {
    config: { scope: 'write' },
    schema: {
      summary: "compile a version for a target; the artifact is stored and signed with the registry's key",
      params: {
        type: 'object',
        required: ['name', 'ref'],
        properties: { name: s.modelName, ref: s.versionRef },
      },
      body: {
        type: 'object',
        required: ['target'],
        additionalProperties: false,
        properties: {
          target: { type: 'string', enum: ['wasm', 'webgpu', 'jetson'] },
          passes: { type: 'array', items: { type: 'string' } },
          optimize: { type: 'boolean' },
          force: { type: 'boolean' },
        },
      },
      response: { 201: s.variant, ...e, 409: s.error },
    },
    handler: async (req, reply) => {
      const { target, passes, optimize, force } = req.body;
      const v = await compileVariant(reg, parseVersionRef(`${req.params.name}@${req.params.ref}`), {
        target,
        ...(passes ? { passes } : {}),
        ...(optimize !== undefined ? { optimize } : {}),
        ...(force ? { force } : {}),
        actor: req.token!.name,
      });
      return reply.code(201).send(v);
    },
  });

  app.get<{ Params: { id: number } }>('/variants/:id', {
    config: { scope: 'read' },
    schema: { summary: 'a compiled variant', params: idParams, response: { 200: s.variant, ...e } },
    handler: async (req) => getVariant(reg, req.params.id),
  });

  app.get<{ Params: { id: number } }>('/variants/:id/artifact', {
    config: { scope: 'read' },
    schema: {
      summary: 'the .kiln artifact (supports Range)',
      params: idParams,
      response: { ...e, 416: s.error },
    },
    handler: async (req, reply) =>
      sendBlob(reg.blobs, (await getVariant(reg, req.params.id)).artifact.sha256, req, reply),
  });

  app.get<{ Params: { id: number } }>('/variants/:id/signature', {
    config: { scope: 'read' },
    schema: {
      summary: "the newest detached signature over the artifact's manifest.json",
      params: idParams,
      response: { ...e },
    },
    handler: async (req, reply) => {
      const v = await getVariant(reg, req.params.id);
      const sig = v.signatures.at(-1);
      if (!sig) return reply.code(404).send({ error: `variant ${v.id} has no signature` });
      return reply.type('application/json').send(sig.signature);
    },
  });

  app.post<{ Params: { id: number }; Body: BenchmarkInput }>('/variants/:id/benchmarks', {
    config: { scope: 'write' },
    schema: {
      summary: 'record a benchmark result',
      params: idParams,
      body: s.benchmarkInput,
      response: { 201: s.benchmark, ...e },
    },
    handler: async (req, reply) =>
      reply.code(201).send(await addBenchmark(reg, req.params.id, req.body, req.token!.name)),
  });

  app.post<{ Params: { id: number }; Body: { fleet: string } }>('/variants/:id/deployments', {
    config: { scope: 'write' },
    schema: {
      summary: 'record that a variant was deployed to a fleet (the fleet server calls this)',
      params: idParams,
      body: {
        type: 'object',
        required: ['fleet'],
        additionalProperties: false,
        properties: { fleet: { type: 'string', minLength: 1, maxLength: 256 } },
      },
      response: { 201: { type: 'object', additionalProperties: true }, ...e },
    },
    handler: async (req, reply) =>
      reply.code(201).send(await recordDeployment(reg, req.params.id, req.body.fleet, req.token!.name)),
  });

  app.get<{ Params: { sha256: string } }>('/blobs/:sha256', {
    config: { scope: 'read' },
    schema: {
      summary: 'a stored blob (ONNX source or artifact) by sha256 (supports Range)',
      params: { type: 'object', required: ['sha256'], properties: { sha256: s.sha256 } },
      response: { ...e, 416: s.error },
    },
    handler: async (req, reply) => sendBlob(reg.blobs, req.params.sha256, req, reply),
  });

  app.get('/trust', {
    config: { scope: 'read' },
    schema: {
      summary: 'the trust store (public keys and revocations) devices verify signatures against',
      response: { 200: { type: 'object', additionalProperties: true }, ...e },
    },
    handler: async () => trustStoreJson(reg),
  });
}
