import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

/** A version that starts more than `maxStarts` times within `windowMs` of its install is reverted. */
export interface CrashLoopPolicy {
  maxStarts: number;
  windowMs: number;
}

export const DEFAULT_CRASH_LOOP: CrashLoopPolicy = { maxStarts: 3, windowMs: 10 * 60_000 };

interface Journal {
  sha256: string;
  starts: number[];
}

/**
 * Counts the agent's starts on one installed artifact during its probation window (the first
 * `windowMs` after its install). A process that keeps dying on a new model (a native crash, an OOM,
 * a hang the watchdog kills) comes back through Agent.start each time; past `maxStarts` the agent
 * goes back to the previous slot instead of loading the same model again. Starts after the window
 * never count, so a device that reboots often months later is not sent back.
 */
export class StartJournal {
  constructor(private readonly dir: string) {}

  private get path(): string {
    return join(this.dir, 'starts.json');
  }

  /** Record a start on `sha256` (installed at `installedAt`); returns the starts inside the window. */
  async record(sha256: string, installedAt: number, now: number, policy: CrashLoopPolicy): Promise<number> {
    if (now - installedAt > policy.windowMs) return 0;
    const j = await this.read();
    const starts = j?.sha256 === sha256 ? j.starts.filter((t) => t >= installedAt) : [];
    starts.push(now);
    await writeFileAtomic(this.path, JSON.stringify({ sha256, starts } satisfies Journal) + '\n');
    return starts.length;
  }

  private async read(): Promise<Journal | undefined> {
    try {
      const j = JSON.parse(await readFile(this.path, 'utf8')) as Journal;
      return typeof j.sha256 === 'string' && Array.isArray(j.starts) ? j : undefined;
    } catch {
      return undefined; // missing or torn: counting restarts from zero is the safe side
    }
  }
}
