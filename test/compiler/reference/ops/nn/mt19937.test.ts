import { describe, expect, it } from 'vitest';
import { MT19937 } from '../../../../../compiler/reference/ops/nn/mt19937.js';
import { f32, int, run, t } from './helpers.js';

describe('MT19937', () => {
  it('produces the reference sequence for the canonical seed 5489', () => {
    const g = new MT19937(5489);
    // First outputs of mt19937ar.c / std::mt19937 default-constructed.
    expect([g.nextUint32(), g.nextUint32(), g.nextUint32()]).toEqual([3499211612, 581869302, 3890346734]);
  });

  it("matches numpy's np.random.seed(0); np.random.uniform() doubles", () => {
    const g = new MT19937(0);
    const want = [0.5488135039273248, 0.7151893663724195, 0.6027633760716439, 0.5448831829968969];
    for (const w of want) expect(g.nextDouble()).toBe(w);
  });

  it('drives Dropout masks from the seed attribute', () => {
    const x = f32([8], [1, 2, 3, 4, 5, 6, 7, 8]);
    const [y, mask] = run('Dropout', [x, f32([], [0.75]), t('bool', [], [1])], { seed: int(0) }, 13);
    // numpy seed 0 draws: only the 8th (0.8918) is >= 0.75.
    expect(Array.from(mask!.data as Uint8Array)).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(y!.data as Float32Array)).toEqual([0, 0, 0, 0, 0, 0, 0, 32]);
  });
});
