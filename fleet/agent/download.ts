import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fsyncDir } from './atomic-file.js';
import { FleetHttpError } from './client.js';
import { dirname } from 'node:path';
import { open } from 'node:fs/promises';

/**
 * Download `url` into `partPath`, resuming from what an earlier (interrupted) try left there with an
 * HTTP Range request. A server that ignores the range (200) restarts the file; 416 (the part is as
 * long as or longer than the file) also restarts it. The caller checks the sha256 of the result.
 */
export async function downloadResumable(
  url: string,
  headers: Record<string, string>,
  partPath: string,
  expectedBytes: number,
  fetch: typeof globalThis.fetch = globalThis.fetch,
): Promise<{ resumedFrom: number }> {
  let have = (await stat(partPath).catch(() => undefined))?.size ?? 0;
  if (have > expectedBytes) have = 0;
  if (have === expectedBytes && have > 0) return { resumedFrom: have };
  let res = await fetch(url, { headers: have > 0 ? { ...headers, range: `bytes=${have}-` } : headers });
  if (res.status === 416) {
    await res.body?.cancel();
    have = 0;
    res = await fetch(url, { headers });
  }
  if (res.status !== 200 && res.status !== 206) {
    const text = await res.text().catch(() => '');
    throw new FleetHttpError(
      `download of ${url} failed with HTTP ${res.status}: ${text.slice(0, 300)}`,
      res.status,
    );
  }
  const resumedFrom = res.status === 206 ? have : 0;
  if (!res.body) throw new FleetHttpError(`download of ${url} returned no body`, res.status);
  await pipeline(
    Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
    createWriteStream(partPath, { flags: resumedFrom > 0 ? 'a' : 'w' }),
  );
  const handle = await open(partPath, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsyncDir(dirname(partPath));
  return { resumedFrom };
}
