import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../../registry/http/errors.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

/** The registry's error mapping plus the fleet's 401 and 403. */
export async function sendFleetError(
  err: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  if (err instanceof UnauthorizedError) return void (await reply.code(401).send({ error: err.message }));
  if (err instanceof ForbiddenError) return void (await reply.code(403).send({ error: err.message }));
  return sendError(err, request, reply);
}
