import { KilnError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { type KilnManifest, type ManifestFile, validateManifest } from './manifest.js';
import { MANIFEST_HASH_PATH, MANIFEST_PATH, SIGNATURE_PATH, artifactPathProblem } from './paths.js';
import { sha256Hex } from './sha256.js';
import { type TarEntry, packTar, unpackTar } from './tar.js';

/** A manifest before writing: `files` is filled in from the files themselves. */
export type ManifestDraft = Omit<KilnManifest, 'files'> & { files?: KilnManifest['files'] };

export interface ArtifactContents {
  manifest: KilnManifest;
  /** The files the manifest lists, by path. */
  files: Map<string, Uint8Array>;
  /** manifest.json exactly as stored: what a signature covers. */
  manifestBytes: Uint8Array;
  /** The optional `signature` entry, returned unverified (see docs/artifact.md). */
  signature?: Uint8Array;
}

const utf8 = new TextEncoder();

/**
 * Build a .kiln artifact (a ustar archive, see docs/artifact.md): manifest.json, manifest.sha256,
 * the files in path order, then the signature if given. The manifest's `files` is computed from
 * `files`, and the result is validated, so a written artifact always reads back.
 */
export async function writeArtifact(input: {
  manifest: ManifestDraft;
  files: ReadonlyMap<string, Uint8Array>;
  signature?: Uint8Array;
}): Promise<Uint8Array> {
  const paths = [...input.files.keys()].sort();
  const listed: Record<string, ManifestFile> = {};
  for (const path of paths) {
    const problem = artifactPathProblem(path);
    if (problem) throw new KilnError(`cannot write artifact file ${problem}`);
    const data = input.files.get(path)!;
    listed[path] = { sha256: await sha256Hex(data), bytes: data.length };
  }
  const manifest = validateManifest({ ...input.manifest, files: listed });
  const manifestBytes = utf8.encode(canonicalJson(manifest));
  const entries: TarEntry[] = [
    { path: MANIFEST_PATH, data: manifestBytes },
    { path: MANIFEST_HASH_PATH, data: utf8.encode(manifestHashLine(await sha256Hex(manifestBytes))) },
    ...paths.map((path) => ({ path, data: input.files.get(path)! })),
  ];
  if (input.signature) entries.push({ path: SIGNATURE_PATH, data: input.signature });
  return packTar(entries, Date.parse(manifest.createdAt) / 1000);
}

/**
 * Read and verify a .kiln artifact: the container structure, manifest.json against
 * manifest.sha256, the manifest's fields, and every listed file present with its size and sha256,
 * with no other entry than `signature`. Any mismatch is a KilnError naming the entry; `file` names
 * the artifact in the message.
 */
export async function readArtifact(
  bytes: Uint8Array,
  options: { file?: string } = {},
): Promise<ArtifactContents> {
  const file = options.file;
  const fail = (message: string, expected?: string): KilnError =>
    new KilnError(message, { ...(file ? { file } : {}), ...(expected ? { expected } : {}) });

  const entries = unpackTar(bytes, file);
  if (entries[0]?.path !== MANIFEST_PATH || entries[1]?.path !== MANIFEST_HASH_PATH) {
    throw fail(
      `not a kiln artifact: it starts with ${
        entries
          .map((e) => `'${e.path}'`)
          .slice(0, 2)
          .join(', ') || 'no entries'
      }`,
      `'${MANIFEST_PATH}' then '${MANIFEST_HASH_PATH}'`,
    );
  }
  const manifestBytes = entries[0].data;
  const stated = new TextDecoder().decode(entries[1].data);
  const actual = await sha256Hex(manifestBytes);
  if (stated !== manifestHashLine(actual)) {
    throw fail(
      `${MANIFEST_PATH} does not match ${MANIFEST_HASH_PATH}: the manifest or its hash was altered`,
      `'${MANIFEST_HASH_PATH}' to read '${manifestHashLine(actual).trimEnd()}'`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(manifestBytes));
  } catch (err) {
    throw fail(`${MANIFEST_PATH} is not UTF-8 JSON: ${(err as Error).message}`);
  }
  const manifest = validateManifest(parsed, file);

  const files = new Map<string, Uint8Array>();
  let signature: Uint8Array | undefined;
  for (const entry of entries.slice(2)) {
    if (entry.path === SIGNATURE_PATH) signature = entry.data;
    else if (!Object.hasOwn(manifest.files, entry.path)) {
      throw fail(
        `entry '${entry.path}' is not listed in ${MANIFEST_PATH}`,
        'only the files the manifest lists',
      );
    } else files.set(entry.path, entry.data);
  }
  for (const [path, want] of Object.entries(manifest.files)) {
    const data = files.get(path);
    if (!data) throw fail(`entry '${path}' listed in ${MANIFEST_PATH} is missing`);
    if (data.length !== want.bytes)
      throw fail(`entry '${path}' is ${data.length} bytes`, `${want.bytes} bytes`);
    const got = await sha256Hex(data);
    if (got !== want.sha256)
      throw fail(`entry '${path}' is corrupt: its sha256 is ${got}`, `sha256 ${want.sha256}`);
  }
  return { manifest, files, manifestBytes, ...(signature ? { signature } : {}) };
}

/** The line `sha256sum manifest.json` prints, so `sha256sum -c manifest.sha256` checks an unpacked artifact. */
function manifestHashLine(hex: string): string {
  return `${hex}  ${MANIFEST_PATH}\n`;
}
