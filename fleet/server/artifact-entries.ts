import type { BlobStore } from '../../registry/blobs/blob-store.js';
import { TAR_BLOCK, paddedSize, readTarHeader } from '../../runtime/artifact/tar.js';
import { KilnError } from '../../runtime/errors.js';

/** Where one entry's data lies inside a stored artifact blob. */
export interface EntrySpan {
  /** Byte offset of the data in the artifact. */
  offset: number;
  bytes: number;
}

/** Artifacts are immutable blobs: their entry tables can be kept (small: a path and two numbers each). */
const CACHE_LIMIT = 256;
const cache = new Map<string, Promise<Map<string, EntrySpan>>>();

/**
 * The entries of a stored .kiln artifact by path, found by reading only its 512-byte tar headers
 * (ranged reads of the blob), so serving one file of a large artifact never loads the weights.
 */
export function artifactEntries(blobs: BlobStore, sha256: string): Promise<Map<string, EntrySpan>> {
  const hit = cache.get(sha256);
  if (hit) return hit;
  const table = readEntries(blobs, sha256);
  cache.set(sha256, table);
  table.catch(() => cache.delete(sha256));
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return table;
}

async function readEntries(blobs: BlobStore, sha256: string): Promise<Map<string, EntrySpan>> {
  const info = await blobs.stat(sha256);
  if (!info) throw new KilnError(`no artifact blob with sha256 ${sha256}`);
  const file = `artifact ${sha256}`;
  const entries = new Map<string, EntrySpan>();
  let pos = 0;
  for (;;) {
    if (pos + TAR_BLOCK > info.bytes) {
      throw new KilnError(`${file} is truncated at byte ${info.bytes}: no end-of-archive marker`);
    }
    const head = readTarHeader(await readRange(blobs, sha256, pos, TAR_BLOCK), pos, file);
    if (!head) return entries;
    entries.set(head.path, { offset: pos + TAR_BLOCK, bytes: head.size });
    pos += TAR_BLOCK + paddedSize(head.size);
  }
}

async function readRange(blobs: BlobStore, sha256: string, start: number, n: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of await blobs.stream(sha256, { start, end: start + n - 1 }))
    chunks.push(Buffer.from(c as Uint8Array));
  return new Uint8Array(Buffer.concat(chunks));
}
