import { createHash } from 'node:crypto';
import { KilnError } from '../runtime/errors.js';

/** How a deployment reaches a group: everyone at once, a canary then the rest, or percentage waves. */
export type Strategy =
  | { kind: 'all-at-once' }
  | { kind: 'canary'; devices?: number; percent?: number }
  | { kind: 'waves'; percents: number[] };

/** One wave's cumulative reach: a device count (canary) or a percentage of the group. */
export type WaveTarget = { count: number } | { percent: number };

/** The cumulative wave targets of a strategy; the last always reaches 100%. */
export function wavesOf(s: Strategy): WaveTarget[] {
  switch (s.kind) {
    case 'all-at-once':
      return [{ percent: 100 }];
    case 'canary': {
      if ((s.devices === undefined) === (s.percent === undefined)) {
        throw new KilnError('a canary names either a device count or a percentage', {
          expected: '{kind: "canary", devices: N} or {kind: "canary", percent: P}',
        });
      }
      if (s.devices !== undefined && !(Number.isInteger(s.devices) && s.devices >= 1)) {
        throw new KilnError(`invalid canary size ${s.devices}`, {
          expected: 'a whole number of devices ≥ 1',
        });
      }
      if (s.percent !== undefined) checkPercent(s.percent, 'canary percent');
      return [s.devices !== undefined ? { count: s.devices } : { percent: s.percent! }, { percent: 100 }];
    }
    case 'waves': {
      const p = s.percents;
      if (!Array.isArray(p) || p.length === 0) {
        throw new KilnError('waves need at least one percentage', { expected: 'e.g. [5, 25, 50, 100]' });
      }
      p.forEach((x, i) => {
        checkPercent(x, `wave ${i + 1}`);
        if (i > 0 && x <= p[i - 1]!) {
          throw new KilnError(`wave percentages must increase: wave ${i + 1} is ${x}% after ${p[i - 1]}%`, {
            expected: 'e.g. [5, 25, 50, 100]',
          });
        }
      });
      const waves: WaveTarget[] = p.map((percent) => ({ percent }));
      return p.at(-1) === 100 ? waves : [...waves, { percent: 100 }];
    }
    default:
      throw new KilnError(`unknown strategy '${(s as { kind: string }).kind}'`, {
        expected: 'all-at-once, canary or waves',
      });
  }
}

function checkPercent(x: number, what: string): void {
  if (!(Number.isFinite(x) && x > 0 && x <= 100)) {
    throw new KilnError(`invalid ${what} ${x}`, { expected: 'a percentage in (0, 100]' });
  }
}

/** How many devices of `total` a wave reaches (a non-empty wave reaches at least one device). */
export function reach(w: WaveTarget, total: number): number {
  if ('count' in w) return Math.min(w.count, total);
  return Math.min(total, Math.max(1, Math.ceil((w.percent * total) / 100)));
}

/**
 * Which wave each device is in. The order is a hash of deployment and device id: stable (any
 * server process computes the same) and different per deployment, so one device is not always
 * the canary.
 */
export function assignWaves(
  deploymentId: number,
  deviceIds: string[],
  waves: WaveTarget[],
): Map<string, number> {
  const key = (id: string) => createHash('sha256').update(`${deploymentId}:${id}`).digest('hex');
  const ordered = [...deviceIds].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const out = new Map<string, number>();
  ordered.forEach((id, i) => {
    const wave = waves.findIndex((w) => i < reach(w, ordered.length));
    out.set(id, wave === -1 ? waves.length - 1 : wave);
  });
  return out;
}
