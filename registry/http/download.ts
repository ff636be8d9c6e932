import type { FastifyReply, FastifyRequest } from 'fastify';
import rangeParser from 'range-parser';
import type { BlobStore } from '../blobs/blob-store.js';
import { NotFoundError } from '../errors.js';

/**
 * Send a blob with HTTP range support (RFC 9110): one `bytes=` range gives 206 with Content-Range,
 * an unsatisfiable one 416, several ranges or none the whole blob. The sha256 is a strong ETag.
 */
export async function sendBlob(
  blobs: BlobStore,
  sha256: string,
  request: FastifyRequest,
  reply: FastifyReply,
  contentType = 'application/octet-stream',
): Promise<FastifyReply> {
  const info = await blobs.stat(sha256);
  if (!info) throw new NotFoundError(`no blob with sha256 ${sha256}`);
  reply.header('Accept-Ranges', 'bytes').header('ETag', `"${sha256}"`);
  const header = request.headers.range;
  if (header) {
    const ranges = rangeParser(info.bytes, header, { combine: true });
    if (ranges === -1) {
      return reply
        .code(416)
        .header('Content-Range', `bytes */${info.bytes}`)
        .send({ error: `range ${header} is outside the ${info.bytes} bytes` });
    }
    if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
      const { start, end } = ranges[0]!;
      return reply
        .code(206)
        .type(contentType)
        .header('Content-Range', `bytes ${start}-${end}/${info.bytes}`)
        .header('Content-Length', end - start + 1)
        .send(await blobs.stream(sha256, { start, end }));
    }
  }
  return reply
    .type(contentType)
    .header('Content-Length', info.bytes)
    .send(await blobs.stream(sha256));
}
