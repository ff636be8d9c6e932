import type { SimDevice } from './device.js';
import type { FaultSpec, Share } from './options.js';
import { shareOf } from './options.js';

/** `n` distinct devices of `pool`, chosen with `rng` (a partial Fisher–Yates shuffle). */
export function pick<T>(pool: readonly T[], n: number, rng: () => number): T[] {
  const a = [...pool];
  const k = Math.min(n, a.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

const choose = (pool: readonly SimDevice[], share: Share, rng: () => number) =>
  pick(pool, shareOf(share, pool.length), rng);

/** Mark the devices of every self-test fault as having a broken runtime; returns them. */
export function applySelfTestFaults(
  devices: SimDevice[],
  faults: FaultSpec[],
  rng: () => number,
): SimDevice[] {
  const broken: SimDevice[] = [];
  for (const f of faults) {
    if (f.kind !== 'self-test') continue;
    for (const d of choose(
      devices.filter((x) => x.group === f.group),
      f.share,
      rng,
    )) {
      d.brokenRuntime = true;
      broken.push(d);
    }
  }
  return broken;
}

export interface FaultLog {
  crashes: number;
  restarts: number;
  networkDrops: number;
}

/**
 * Crashes and network drops at seeded random moments of the measured phase (crashes in its first
 * 60 %, drops starting in its first half). `end()` undoes what is still in effect (restarts crashed
 * devices, brings networks back) and waits for it, so the settle phase starts from a whole fleet.
 */
export function scheduleFaults(
  devices: SimDevice[],
  faults: FaultSpec[],
  durationMs: number,
  rng: () => number,
  onError: (err: unknown) => void,
): { log: FaultLog; end: () => Promise<void> } {
  const log: FaultLog = { crashes: 0, restarts: 0, networkDrops: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const pending = new Set<Promise<void>>();
  const crashed = new Set<SimDevice>();
  const dropped = new Set<SimDevice>();
  const later = (ms: number, fn: () => Promise<void> | void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      const p = Promise.resolve()
        .then(fn)
        .catch(onError)
        .finally(() => pending.delete(p));
      pending.add(p);
    }, ms);
    timers.add(t);
  };
  for (const f of faults) {
    if (f.kind === 'crash') {
      for (const d of choose(devices, f.share, rng)) {
        later((0.1 + 0.5 * rng()) * durationMs, async () => {
          crashed.add(d);
          log.crashes++;
          await d.crash();
          later(f.downS * 1000, async () => {
            if (!crashed.delete(d)) return;
            await d.restart();
            log.restarts++;
          });
        });
      }
    } else if (f.kind === 'network') {
      for (const d of choose(devices, f.share, rng)) {
        later((0.1 + 0.4 * rng()) * durationMs, () => {
          if (crashed.has(d)) return;
          d.net.down = true;
          dropped.add(d);
          log.networkDrops++;
          later(f.seconds * 1000, () => {
            if (dropped.delete(d)) d.net.down = false;
          });
        });
      }
    }
  }
  return {
    log,
    async end() {
      // a fault in progress may schedule its own undo: clear until nothing is left
      while (timers.size > 0 || pending.size > 0) {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        await Promise.all([...pending]);
      }
      for (const d of dropped) d.net.down = false;
      dropped.clear();
      for (const d of crashed) {
        await d.restart();
        log.restarts++;
      }
      crashed.clear();
    },
  };
}
