import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../runtime/errors.js';
import { writeFileAtomic } from './atomic-file.js';

export type SlotName = 'a' | 'b';

/** What the pointer file says the agent runs: which slot, and what is in it. */
export interface SlotPointer {
  slot: SlotName;
  model: string;
  version: number;
  variantId: number;
  sha256: string;
  /** The deployment that installed it: a rollback order must come from a later one. */
  deploymentId?: number;
  /** When it was switched to (epoch ms): starts soon after count towards a crash loop. */
  installedAt?: number;
  /** What the other slot holds: where a crash loop goes back to. */
  previous?: Omit<SlotPointer, 'previous' | 'installedAt' | 'deploymentId'>;
}

/**
 * A/B slots: two artifact files (each with its detached signature) and a pointer file naming the
 * live one. A new model is written to the slot not in use, then the pointer is replaced atomically,
 * so a crash at any point leaves the pointer on a slot that was completely written.
 */
export class Slots {
  constructor(private readonly dir: string) {}

  private get pointerPath(): string {
    return join(this.dir, 'current.json');
  }

  artifactPath(slot: SlotName): string {
    return join(this.dir, `slot-${slot}.kiln`);
  }

  signaturePath(slot: SlotName): string {
    return join(this.dir, `slot-${slot}.sig`);
  }

  async pointer(): Promise<SlotPointer | undefined> {
    let text: string;
    try {
      text = await readFile(this.pointerPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const p = JSON.parse(text) as SlotPointer;
    if ((p.slot !== 'a' && p.slot !== 'b') || typeof p.version !== 'number' || typeof p.sha256 !== 'string') {
      throw new KilnError('the slot pointer is malformed', {
        file: this.pointerPath,
        expected: '{"slot": "a"|"b", "model", "version", "variantId", "sha256"}',
      });
    }
    return p;
  }

  /** The slot a new model goes into: the one the pointer does not name. */
  async spare(): Promise<SlotName> {
    return (await this.pointer())?.slot === 'a' ? 'b' : 'a';
  }

  async write(slot: SlotName, artifact: Uint8Array, signature: Uint8Array): Promise<void> {
    await writeFileAtomic(this.artifactPath(slot), artifact);
    await writeFileAtomic(this.signaturePath(slot), signature);
  }

  /** The switch: after this returns, a restart comes back on `p.slot`. */
  async point(p: SlotPointer): Promise<void> {
    await writeFileAtomic(this.pointerPath, JSON.stringify(p, null, 2) + '\n');
  }

  async read(slot: SlotName): Promise<{ artifact: Uint8Array; signature: Uint8Array }> {
    return {
      artifact: new Uint8Array(await readFile(this.artifactPath(slot))),
      signature: new Uint8Array(await readFile(this.signaturePath(slot))),
    };
  }

  async clear(slot: SlotName): Promise<void> {
    await rm(this.artifactPath(slot), { force: true });
    await rm(this.signaturePath(slot), { force: true });
  }
}
