import { KilnError } from './errors.js';

/** An input as a compiled model takes it: name, shape, and dtype (absent: float32). */
export interface CompiledInput {
  name: string;
  shape: readonly number[];
  dtype?: string;
}

/**
 * Check feeds against the compiled inputs, every target alike: no unknown names, none missing, each
 * of the compiled dtype and shape (the code is specialised to them). Returns the feeds in input order.
 */
export function checkFeeds<T extends { dtype: string; shape: readonly number[] }>(
  feeds: Record<string, T>,
  inputs: readonly CompiledInput[],
  file: string | undefined,
): T[] {
  for (const name of Object.keys(feeds)) {
    if (!inputs.some((io) => io.name === name)) {
      throw new KilnError(`unknown input '${name}'`, {
        file,
        expected: `one of ${inputs.map((io) => io.name).join(', ')}`,
      });
    }
  }
  return inputs.map((io) => {
    const t = feeds[io.name];
    const dtype = io.dtype ?? 'float32';
    const want = `${dtype}[${io.shape.join(',')}]`;
    if (!t) throw new KilnError(`missing input '${io.name}'`, { file, expected: want });
    if (
      t.dtype !== dtype ||
      t.shape.length !== io.shape.length ||
      t.shape.some((d, i) => d !== io.shape[i])
    ) {
      throw new KilnError(`input '${io.name}' is ${t.dtype}[${t.shape.join(',')}]`, { file, expected: want });
    }
    return t;
  });
}
