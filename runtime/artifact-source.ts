import { KilnError, asKilnError } from './errors.js';

/** Where an artifact comes from: a path (Node) or URL (browsers, or http(s)/file URLs), or its bytes. */
export type ArtifactSource = string | URL | ArrayBuffer | SharedArrayBuffer | ArrayBufferView;

const isNode =
  typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string';

/**
 * The artifact's bytes and the name errors should give it. In Node a string that is not an http(s)
 * URL, and any file: URL, is read from disk through a dynamically imported node:fs, so this module
 * (and the browser entry) imports no Node built-in; elsewhere strings and URLs are fetched.
 */
export async function readArtifactSource(
  source: ArtifactSource,
): Promise<{ bytes: Uint8Array; file?: string }> {
  if (source instanceof Uint8Array) return { bytes: source };
  if (ArrayBuffer.isView(source)) {
    return { bytes: new Uint8Array(source.buffer, source.byteOffset, source.byteLength) };
  }
  if (source instanceof ArrayBuffer || isSharedArrayBuffer(source)) return { bytes: new Uint8Array(source) };
  if (typeof source === 'string' || source instanceof URL) {
    const file = String(source);
    const remote = source instanceof URL ? source.protocol !== 'file:' : /^(https?|blob|data):/i.test(source);
    if (isNode && !remote) return { bytes: await readNodeFile(source), file };
    return { bytes: await fetchBytes(file), file };
  }
  throw new KilnError(`cannot load an artifact from ${typeof source}`, {
    expected: 'a path or URL string, a URL, an ArrayBuffer or a Uint8Array',
  });
}

async function readNodeFile(path: string | URL): Promise<Uint8Array> {
  // A computed specifier: bundlers for the browser leave it alone, and Node loads fs only here.
  const specifier = 'node:fs/promises';
  try {
    const fs = (await import(/* @vite-ignore */ specifier)) as typeof import('node:fs/promises');
    return new Uint8Array(await fs.readFile(path));
  } catch (err) {
    throw asKilnError(err, 'could not read the artifact', {
      file: String(path),
      expected: 'a readable .kiln file',
    });
  }
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw asKilnError(err, 'could not fetch the artifact', { file: url, expected: 'a reachable URL' });
  }
  if (!response.ok) {
    throw new KilnError(
      `could not fetch the artifact: HTTP ${response.status} ${response.statusText}`.trim(),
      {
        file: url,
        expected: 'HTTP 200',
      },
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

function isSharedArrayBuffer(v: unknown): v is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer;
}
