import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TelemetryBatch } from '../telemetry/types.js';
import { writeFileAtomic } from './atomic-file.js';

export const DEFAULT_SPOOL_BYTES = 8 * 1024 * 1024;

interface Entry {
  name: string;
  bytes: number;
}

/**
 * Batches that could not be sent, one JSON file each under `<agent dir>/telemetry/`, oldest first by
 * name. Over `capBytes` the oldest are deleted and counted in `dropped` (kept in `dropped.json`, so
 * the count survives a restart and is reported once the server takes an upload again).
 */
export class TelemetrySpool {
  private entries: Entry[] | undefined;
  private seq = 0;
  private droppedCount = 0;

  constructor(
    readonly dir: string,
    readonly capBytes = DEFAULT_SPOOL_BYTES,
  ) {}

  private async load(): Promise<Entry[]> {
    if (this.entries) return this.entries;
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((n) => n.endsWith('.batch.json')).sort();
    this.entries = [];
    for (const name of names) this.entries.push({ name, bytes: (await stat(join(this.dir, name))).size });
    try {
      this.droppedCount = Number(JSON.parse(await readFile(join(this.dir, 'dropped.json'), 'utf8'))) || 0;
    } catch {
      this.droppedCount = 0;
    }
    return this.entries;
  }

  async dropped(): Promise<number> {
    await this.load();
    return this.droppedCount;
  }

  async size(): Promise<{ batches: number; bytes: number }> {
    const e = await this.load();
    return { batches: e.length, bytes: e.reduce((s, x) => s + x.bytes, 0) };
  }

  async add(batches: readonly TelemetryBatch[]): Promise<void> {
    const entries = await this.load();
    for (const b of batches) {
      const text = JSON.stringify(b);
      // time first so names sort oldest first; the sequence keeps batches of one instant in order
      const name = `${String(Date.now()).padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}-${b.id}.batch.json`;
      await writeFile(join(this.dir, name), text);
      entries.push({ name, bytes: Buffer.byteLength(text) });
    }
    let total = entries.reduce((s, x) => s + x.bytes, 0);
    let dropped = 0;
    while (total > this.capBytes && entries.length > 0) {
      const old = entries.shift()!;
      await rm(join(this.dir, old.name), { force: true });
      total -= old.bytes;
      dropped++;
    }
    if (dropped > 0) await this.setDropped(this.droppedCount + dropped);
  }

  /** The oldest `max` batches (unreadable files are removed and counted as dropped). */
  async oldest(max: number): Promise<{ name: string; batch: TelemetryBatch }[]> {
    const entries = await this.load();
    const out: { name: string; batch: TelemetryBatch }[] = [];
    for (const e of entries.slice(0, max)) {
      try {
        out.push({
          name: e.name,
          batch: JSON.parse(await readFile(join(this.dir, e.name), 'utf8')) as TelemetryBatch,
        });
      } catch {
        await this.remove([e.name]);
        await this.setDropped(this.droppedCount + 1);
      }
    }
    return out;
  }

  async remove(names: readonly string[]): Promise<void> {
    const entries = await this.load();
    const gone = new Set(names);
    for (const name of names) await rm(join(this.dir, name), { force: true });
    this.entries = entries.filter((e) => !gone.has(e.name));
  }

  /** Removes batches the server refuses for good, counting them as dropped. */
  async discard(names: readonly string[]): Promise<void> {
    await this.remove(names);
    await this.setDropped(this.droppedCount + names.length);
  }

  /** After an upload reported `n` drops, only later drops remain to be reported. */
  async reported(n: number): Promise<void> {
    await this.load();
    if (n > 0) await this.setDropped(Math.max(0, this.droppedCount - n));
  }

  private async setDropped(n: number): Promise<void> {
    this.droppedCount = n;
    await writeFileAtomic(join(this.dir, 'dropped.json'), JSON.stringify(n));
  }
}
