import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

/**
 * Artifacts this device refused (by sha256, with the reason). Most refusals live as long as the
 * process (a retry after a restart is cheap and the cause may be fixed, e.g. a re-signed artifact);
 * a crash-loop refusal is kept on disk, since the desired state still names the version that made
 * the device crash and loading it again would only crash it again.
 */
export class Refusals {
  private readonly map: Map<string, string>;

  private constructor(
    private readonly path: string,
    private readonly kept: Map<string, string>,
  ) {
    this.map = new Map(kept);
  }

  static async open(dir: string): Promise<Refusals> {
    const path = join(dir, 'refused.json');
    let entries: Record<string, string> = {};
    try {
      entries = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
    return new Refusals(path, new Map(Object.entries(entries)));
  }

  reason(sha256: string): string | undefined {
    return this.map.get(sha256);
  }

  async add(sha256: string, reason: string, keep: 'process' | 'disk' = 'process'): Promise<void> {
    this.map.set(sha256, reason);
    if (keep === 'process') return;
    this.kept.set(sha256, reason);
    await writeFileAtomic(this.path, JSON.stringify(Object.fromEntries(this.kept), null, 2) + '\n');
  }
}
