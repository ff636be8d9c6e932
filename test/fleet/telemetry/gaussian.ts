import { seededRandom } from '../../../runtime/prng.js';

/** n draws of N(mean, std²) from a seeded generator (Box–Muller). */
export function gaussian(n: number, seed: number, mean = 0, std = 1): Float64Array {
  const r = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - r();
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return out;
}
