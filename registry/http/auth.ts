import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from '../registry.js';
import { type Scope, type TokenRecord, findToken, scopeAllows } from '../tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The token scope a route needs; routes without one are public (the OpenAPI document). */
    scope?: Scope;
  }
  interface FastifyRequest {
    token?: TokenRecord;
  }
}

/**
 * Bearer-token auth: no or unknown token → 401, a token whose scope is below the route's → 403.
 * Scopes nest (admin ⊇ write ⊇ read). The token's name is recorded as the actor of its writes.
 */
export function authHook(reg: Registry) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const needs = request.routeOptions.config.scope;
    if (!needs) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) {
      reply.header('WWW-Authenticate', 'Bearer realm="kiln-registry"');
      await reply.code(401).send({ error: 'missing bearer token (Authorization: Bearer <token>)' });
      return;
    }
    const token = await findToken(reg, match[1]!);
    if (!token) {
      reply.header('WWW-Authenticate', 'Bearer realm="kiln-registry", error="invalid_token"');
      await reply.code(401).send({ error: 'unknown or revoked token' });
      return;
    }
    if (!scopeAllows(token.scope, needs)) {
      await reply
        .code(403)
        .send({ error: `this operation needs a '${needs}' token; this token's scope is '${token.scope}'` });
      return;
    }
    request.token = token;
  };
}
