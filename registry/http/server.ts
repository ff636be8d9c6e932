import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Registry } from '../registry.js';
import { authHook } from './auth.js';
import { sendError } from './errors.js';
import { artifactRoutes } from './routes-artifacts.js';
import { modelRoutes } from './routes-models.js';

export interface RegistryApiOptions {
  registry: Registry;
  /** The largest ONNX upload accepted (413 beyond it); default 2 GiB. */
  maxUploadBytes?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

/**
 * The registry's HTTP API as a fastify plugin, so the fleet server can mount it under its own
 * prefix: `app.register(registryApi, { prefix: '/registry/v1', registry })`. Uploads arrive as
 * streams (application/octet-stream is passed through unparsed) and go straight to the blob store.
 */
export const registryApi: FastifyPluginAsync<RegistryApiOptions> = async (app, options) => {
  const reg = options.registry;
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  app.addHook('onRequest', authHook(reg));
  app.setErrorHandler(sendError);
  modelRoutes(app, reg, options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES);
  artifactRoutes(app, reg);
};

/** A standalone registry server: the API under /v1 and its OpenAPI document at /openapi.json. */
export async function buildRegistryServer(
  options: RegistryApiOptions & { logger?: boolean },
): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Kiln model registry', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(registryApi, { ...options, prefix: '/v1' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.setErrorHandler(sendError);
  return app;
}
