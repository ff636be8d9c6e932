import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from '../../registry/registry.js';
import { type Scope, type TokenRecord, findToken, scopeAllows } from '../../registry/tokens.js';
import { DEVICE_PREFIX } from '../credentials.js';
import { type DeviceRecord, deviceByCredential } from '../devices.js';

/** Who may call a fleet route: operators by registry token scope, devices by their own credential. */
export interface FleetAccess {
  scope?: Scope;
  /** A device may call it for its own `:deviceId` only. */
  device?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    fleet?: FleetAccess;
  }
  interface FastifyRequest {
    device?: DeviceRecord;
    operator?: TokenRecord;
  }
}

/**
 * Bearer auth for the fleet API. A device credential only opens routes marked `device` and only for
 * the `:deviceId` it belongs to (403 otherwise, so one device can never read another's state); an
 * operator token needs the route's scope.
 */
export function fleetAuthHook(reg: Registry) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const access = request.routeOptions.config.fleet;
    if (!access) return;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) {
      reply.header('WWW-Authenticate', 'Bearer realm="kiln-fleet"');
      await reply.code(401).send({ error: 'missing bearer token (Authorization: Bearer <token>)' });
      return;
    }
    const secret = match[1]!;
    if (secret.startsWith(DEVICE_PREFIX)) {
      const device = await deviceByCredential(reg, secret);
      if (!device) {
        await reply.code(401).send({ error: 'unknown device credential' });
        return;
      }
      const wanted = (request.params as { deviceId?: string }).deviceId;
      if (!access.device || wanted !== device.id) {
        await reply.code(403).send({
          error: `device ${device.id} may only read its own state and its group's artifacts`,
        });
        return;
      }
      request.device = device;
      return;
    }
    const token = await findToken(reg, secret);
    if (!token) {
      await reply.code(401).send({ error: 'unknown or revoked token' });
      return;
    }
    if (!access.scope || !scopeAllows(token.scope, access.scope)) {
      await reply.code(403).send({
        error: access.scope
          ? `this operation needs a '${access.scope}' token; this token's scope is '${token.scope}'`
          : 'this operation is for devices only',
      });
      return;
    }
    request.operator = token;
  };
}
