import { describe, expect, it } from 'vitest';
import { nextDelay } from '../../fleet/agent/backoff.js';
import { assignWaves, reach, wavesOf } from '../../fleet/strategy.js';

describe('deployment strategies', () => {
  it('turn into cumulative waves ending at 100%', () => {
    expect(wavesOf({ kind: 'all-at-once' })).toEqual([{ percent: 100 }]);
    expect(wavesOf({ kind: 'canary', devices: 2 })).toEqual([{ count: 2 }, { percent: 100 }]);
    expect(wavesOf({ kind: 'canary', percent: 5 })).toEqual([{ percent: 5 }, { percent: 100 }]);
    expect(wavesOf({ kind: 'waves', percents: [5, 25, 50] })).toEqual([
      { percent: 5 },
      { percent: 25 },
      { percent: 50 },
      { percent: 100 },
    ]);
  });

  it('refuse bad sizes with the reason', () => {
    expect(() => wavesOf({ kind: 'canary' })).toThrow(/either a device count or a percentage/);
    expect(() => wavesOf({ kind: 'canary', devices: 0 })).toThrow(/invalid canary size 0/);
    expect(() => wavesOf({ kind: 'waves', percents: [] })).toThrow(/at least one percentage/);
    expect(() => wavesOf({ kind: 'waves', percents: [10, 150] })).toThrow(/invalid wave 2 150.*\(0, 100\]/);
    expect(() => wavesOf({ kind: 'nope' } as never)).toThrow(/unknown strategy 'nope'/);
  });

  it('reach at least one device per wave and never more than the group', () => {
    expect(reach({ percent: 5 }, 20)).toBe(1);
    expect(reach({ percent: 50 }, 21)).toBe(11);
    expect(reach({ count: 30 }, 20)).toBe(20);
    expect(reach({ percent: 100 }, 0)).toBe(0);
  });

  it('assign waves stably per deployment, in the sizes asked for', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `device-${i}`);
    const waves = wavesOf({ kind: 'waves', percents: [10, 50, 100] });
    const a = assignWaves(7, ids, waves);
    expect(assignWaves(7, [...ids].reverse(), waves)).toEqual(a);
    const sizes = [0, 1, 2].map((w) => [...a.values()].filter((x) => x === w).length);
    expect(sizes).toEqual([4, 16, 20]);
    const other = assignWaves(8, ids, waves);
    expect([...other.entries()].filter(([id, w]) => w === 0 && a.get(id) === 0).length).toBeLessThan(4);
  });
});

describe('agent poll delays', () => {
  it('jitter the interval while healthy and back off exponentially, capped, after failures', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect(nextDelay(0, 1000, 100, 5000, low)).toBe(900);
    expect(nextDelay(0, 1000, 100, 5000, high)).toBe(1100);
    expect([1, 2, 3, 4].map((n) => nextDelay(n, 1000, 100, 5000, high))).toEqual([100, 200, 400, 800]);
    expect([1, 2, 3, 4].map((n) => nextDelay(n, 1000, 100, 5000, low))).toEqual([50, 100, 200, 400]);
    expect(nextDelay(20, 1000, 100, 5000, high)).toBe(5000);
    expect(nextDelay(80, 1000, 100, 5000, low)).toBe(2500);
  });
});
