import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { KilnError } from '../../runtime/errors.js';
import { ConflictError, NotFoundError, TooLargeError } from '../errors.js';

/** Registry errors to HTTP statuses, always as `{error: message}`; unexpected errors are 500 and logged. */
export async function sendError(
  err: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const status =
    err instanceof NotFoundError
      ? 404
      : err instanceof ConflictError
        ? 409
        : err instanceof TooLargeError
          ? 413
          : err instanceof KilnError
            ? 400
            : 'validation' in err && err.validation
              ? 400
              : 'statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500
                ? err.statusCode
                : 500;
  if (status === 500) request.log.error(err);
  if (status === 413) reply.header('Connection', 'close'); // the rest of the upload is not read
  await reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
}
