import { seededRandom } from '../../runtime/prng.js';

/**
 * A device's input generator: every channel is drawn from the standard normal distribution, plus
 * `shift` standard deviations while drift is injected on the device's group.
 * Seeded per device, so a run is reproducible.
 */
export class InputGenerator {
  private readonly rng: () => number;
  private spare: number | undefined;
  shift = 0;

  constructor(seed: number) {
    this.rng = seededRandom(seed);
  }

  /** A standard normal draw (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.rng();
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * this.rng();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }

  /** `n` values of the distribution (shifted while drift is on). */
  sample(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.shift + this.normal();
    return out;
  }

  /** A uniform draw in [0, 1) from the same stream (sampling decisions). */
  uniform(): number {
    return this.rng();
  }
}
