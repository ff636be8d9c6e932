import { KilnError } from '../runtime/errors.js';
import { loadNpy } from '../runtime/npy.js';
import type { Tensor } from '../runtime/tensor.js';

/** `--bind NAME=FILE.npy`, repeatable: graph input name → the value to freeze. */
export function parseBindings(specs: readonly string[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1)
      throw new KilnError(`--bind ${spec}: not NAME=FILE`, {
        expected: 'an input name and a .npy file, e.g. --bind shape=shape.npy',
      });
    const name = spec.slice(0, eq);
    if (out.has(name))
      throw new KilnError(`--bind ${name} is given twice`, { expected: 'one value per input' });
    out.set(name, loadNpy(spec.slice(eq + 1)));
  }
  return out;
}
