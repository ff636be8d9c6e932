import type { FastifyReply, FastifyRequest } from 'fastify';
import rangeParser from 'range-parser';
import type { BlobStore } from '../blobs/blob-store.js';
import { NotFoundError } from '../errors.js';

/** A part of a blob served as if it were a file of its own (one entry of an artifact). */
export interface BlobPart {
  offset: number;
  bytes: number;
  /** Its own strong ETag (the entry's sha256). */
  etag: string;
}

/**
 * Send a blob, or `part` of it, with HTTP range support (RFC 9110): one `bytes=` range gives 206
 * with Content-Range, an unsatisfiable one 416, several ranges or none the whole. The sha256 is a
 * strong ETag.
 */
export async function sendBlob(
  blobs: BlobStore,
  sha256: string,
  request: FastifyRequest,
  reply: FastifyReply,
  contentType = 'application/octet-stream',
  part?: BlobPart,
): Promise<FastifyReply> {
  const info = await blobs.stat(sha256);
  if (!info) throw new NotFoundError(`no blob with sha256 ${sha256}`);
  const base = part?.offset ?? 0;
  const total = part ? part.bytes : info.bytes;
  reply.header('Accept-Ranges', 'bytes').header('ETag', `"${part?.etag ?? sha256}"`);
  const header = request.headers.range;
  if (header) {
    const ranges = rangeParser(total, header, { combine: true });
    if (ranges === -1) {
      return reply
        .code(416)
        .header('Content-Range', `bytes */${total}`)
        .send({ error: `range ${header} is outside the ${total} bytes` });
    }
    if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
      const { start, end } = ranges[0]!;
      return reply
        .code(206)
        .type(contentType)
        .header('Content-Range', `bytes ${start}-${end}/${total}`)
        .header('Content-Length', end - start + 1)
        .send(await blobs.stream(sha256, { start: base + start, end: base + end }));
    }
  }
  reply.type(contentType).header('Content-Length', total);
  if (part && total === 0) return reply.send(Buffer.alloc(0)); // an empty entry (weights.bin of a weightless model)
  return reply.send(await blobs.stream(sha256, part ? { start: base, end: base + total - 1 } : undefined));
}
