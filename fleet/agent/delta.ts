import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readArtifact, writeArtifact } from '../../runtime/artifact/artifact.js';
import { type KilnManifest, validateManifest } from '../../runtime/artifact/manifest.js';
import { sha256Hex } from '../../runtime/artifact/sha256.js';
import { type TrustStore, verifyManifestSignature } from '../../runtime/artifact/signature.js';
import { KilnError } from '../../runtime/errors.js';
import type { DesiredVariant } from '../desired.js';
import { type FleetClient, FleetHttpError } from './client.js';
import { downloadResumable } from './download.js';

/**
 * Delta delivery could not produce the artifact (no support on the server, a file that does not
 * hash right, a reassembly that differs): the agent falls back to downloading it whole.
 */
export class DeltaUnavailable extends KilnError {}

export interface DeltaResult {
  bytes: Uint8Array;
  signature: Uint8Array;
  /** Bytes fetched by this call: manifest, signature and the missing files (resumed parts not counted again). */
  downloadedBytes: number;
  /** Bytes of file parts that an earlier, interrupted try had already fetched. */
  resumedFrom: number;
  /** Files taken from artifacts the device already holds. */
  reusedFiles: number;
  fetchedFiles: number;
}

/** Where the files of one delta download are staged (kept across a crash, so it resumes). */
export function deltaStagingDir(stagingDir: string, artifactSha256: string): string {
  return join(stagingDir, `${artifactSha256}.delta`);
}

/**
 * Build the artifact `v` from the files the device already holds plus only those that changed:
 * fetch the new manifest and its signature and check the signature against the pinned trust store
 * before anything else; take every file whose sha256 one of `held` artifacts has; fetch the rest one
 * by one (resumable, each checked against its sha256 in the signed manifest); write the artifact
 * with the artifact writer and require its sha256 to be the desired one, so what is installed is
 * byte for byte what a full download gives. Any of that failing is a DeltaUnavailable; transport
 * errors are thrown as they are (the poll loop retries and the staged files resume).
 */
export async function fetchDelta(input: {
  client: FleetClient;
  variant: DesiredVariant & { delta: NonNullable<DesiredVariant['delta']> };
  trust: TrustStore;
  held: readonly Uint8Array[];
  stagingDir: string;
  label: string;
}): Promise<DeltaResult> {
  const { client, variant: v, trust } = input;
  const manifestBytes = await get(client, v.delta.manifestUrl, 'the manifest');
  const signature = await get(client, v.signatureUrl, 'the signature');
  try {
    await verifyManifestSignature(manifestBytes, signature, trust, { file: `${input.label} manifest.json` });
  } catch (err) {
    throw new DeltaUnavailable(`delta: ${(err as Error).message}`);
  }
  const manifest = parseManifest(manifestBytes, input.label);

  const have = new Map<string, Uint8Array>();
  for (const artifact of input.held) {
    const held = await readArtifact(artifact).catch(() => undefined); // a damaged slot simply offers nothing
    if (!held) continue;
    for (const [path, data] of held.files) have.set(held.manifest.files[path]!.sha256, data);
  }

  const dir = deltaStagingDir(input.stagingDir, v.sha256);
  const files = new Map<string, Uint8Array>();
  let downloadedBytes = manifestBytes.length + signature.length;
  let resumedFrom = 0;
  let reusedFiles = 0;
  let fetchedFiles = 0;
  for (const [path, want] of Object.entries(manifest.files)) {
    const held = have.get(want.sha256);
    if (held) {
      files.set(path, held);
      reusedFiles++;
      continue;
    }
    await mkdir(dir, { recursive: true });
    const got = await fetchFile(
      client,
      v.delta.filesUrl + path,
      join(dir, `${want.sha256}.part`),
      want,
      path,
    );
    downloadedBytes += got.downloaded;
    resumedFrom += got.resumedFrom;
    fetchedFiles++;
    have.set(want.sha256, got.data); // a file listed twice (model.wasm = model.relaxed.wasm) is fetched once
    files.set(path, got.data);
  }
  const bytes = await writeArtifact({ manifest, files });
  const sha = await sha256Hex(bytes);
  if (sha !== v.sha256) {
    throw new DeltaUnavailable(
      `delta: the reassembled artifact's sha256 is ${sha}, not ${v.sha256} (it was not written by this artifact writer)`,
    );
  }
  return { bytes, signature, downloadedBytes, resumedFrom, reusedFiles, fetchedFiles };
}

async function get(client: FleetClient, path: string, what: string): Promise<Uint8Array> {
  try {
    return await client.bytes(path);
  } catch (err) {
    // an HTTP answer (an older server, a proxy without the route) means no delta; no answer is retried
    if (err instanceof FleetHttpError) throw new DeltaUnavailable(`delta: ${what}: ${err.message}`);
    throw err;
  }
}

function parseManifest(bytes: Uint8Array, label: string): KilnManifest {
  try {
    return validateManifest(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)), label);
  } catch (err) {
    throw new DeltaUnavailable(`delta: the manifest of ${label}: ${(err as Error).message}`);
  }
}

/** One file into its part file, resumable; a resumed part that does not hash right is fetched once more whole. */
async function fetchFile(
  client: FleetClient,
  path: string,
  part: string,
  want: { sha256: string; bytes: number },
  name: string,
): Promise<{ data: Uint8Array; downloaded: number; resumedFrom: number }> {
  const url = client.base + path;
  let downloaded = 0;
  const once = async () => {
    let r: { resumedFrom: number };
    try {
      r = await downloadResumable(url, client.authHeaders, part, want.bytes, client.fetch);
    } catch (err) {
      if (err instanceof FleetHttpError) throw new DeltaUnavailable(`delta: file '${name}': ${err.message}`);
      throw err;
    }
    const data = new Uint8Array(await readFile(part));
    downloaded += Math.max(0, data.length - r.resumedFrom);
    return { data, resumedFrom: r.resumedFrom, sha: await sha256Hex(data) };
  };
  let got = await once();
  if (got.sha !== want.sha256 && got.resumedFrom > 0) {
    await rm(part, { force: true });
    got = await once();
  }
  if (got.sha !== want.sha256 || got.data.length !== want.bytes) {
    await rm(part, { force: true });
    throw new DeltaUnavailable(
      `delta: file '${name}' was refused: its sha256 is ${got.sha} (${got.data.length} bytes), the signed manifest says ${want.sha256} (${want.bytes} bytes)`,
    );
  }
  return { data: got.data, downloaded, resumedFrom: got.resumedFrom };
}
