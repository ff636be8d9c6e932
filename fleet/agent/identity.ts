import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TrustStore, parseTrustStore } from '../../runtime/artifact/signature.js';
import { KilnError } from '../../runtime/errors.js';
import { writeFileAtomic } from './atomic-file.js';

/** What enrollment gave this device, kept in `<dir>/identity.json` (mode 0600: it holds a secret). */
export interface Identity {
  server: string;
  deviceId: string;
  credential: string;
  group: string;
  /** The trust store pinned at enrollment (or renewed since), as JSON. */
  trust: unknown;
  /** The trust-store statement version of `trust` (absent: enrolled before statements, 0). */
  trustVersion?: number;
}

export function identityPath(dir: string): string {
  return join(dir, 'identity.json');
}

export async function loadIdentity(dir: string): Promise<Identity | undefined> {
  let text: string;
  try {
    text = await readFile(identityPath(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const id = JSON.parse(text) as Identity;
  if (!id.deviceId || !id.credential || !id.server) {
    throw new KilnError('the agent identity file is incomplete', {
      file: identityPath(dir),
      expected: 'server, deviceId, credential, group and trust (delete it and enroll again)',
    });
  }
  return id;
}

export async function saveIdentity(dir: string, id: Identity): Promise<void> {
  await writeFileAtomic(identityPath(dir), JSON.stringify(id, null, 2) + '\n', 0o600);
}

export function pinnedTrust(id: Identity, dir: string): TrustStore {
  return parseTrustStore(id.trust, identityPath(dir));
}
