import { setFlagsFromString } from 'node:v8';
import type { Kernel } from '../../../compiler/kernel/ir.js';
import { renderWasm } from '../../../targets/wasm/render.js';
import { seededRandom } from '../../helpers/random.js';

// Node 20 has relaxed SIMD behind a flag; set it before any module using it is compiled.
setFlagsFromString('--experimental-wasm-relaxed-simd');

/** Bytes of NaN guard after every buffer, to catch kernels writing past their outputs. */
const GUARD = 64;

/**
 * Render `kernels`, lay the buffers out (16-byte aligned, NaN guards between them, `atEnd` placed so it
 * ends exactly at the end of memory: a read past it traps), run, and return every buffer. Throws when a
 * guard was overwritten.
 */
export function execute(
  kernels: Kernel[],
  buffers: Record<string, Float32Array>,
  opts: { relaxedSimd?: boolean; atEnd?: string } = {},
): Record<string, Float32Array> {
  const addresses = new Map<string, number>();
  let at = 16;
  for (const [name, data] of Object.entries(buffers)) {
    if (name === opts.atEnd) continue;
    addresses.set(name, at);
    at += Math.ceil((data.length * 4) / 16) * 16 + GUARD;
  }
  const last = opts.atEnd ? buffers[opts.atEnd]!.length * 4 : 0;
  const pages = Math.ceil((at + last) / 65536);
  if (opts.atEnd) addresses.set(opts.atEnd, pages * 65536 - last);
  const bytes = renderWasm(kernels, addresses, {
    relaxedSimd: opts.relaxedSimd ?? false,
    optimize: process.env.KILN_NO_OPT !== '1',
  });
  const memory = new WebAssembly.Memory({ initial: pages });
  new Float32Array(memory.buffer).fill(NaN);
  for (const [name, data] of Object.entries(buffers))
    new Float32Array(memory.buffer, addresses.get(name)!, data.length).set(data);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  (instance.exports.run as () => void)();
  const out: Record<string, Float32Array> = {};
  for (const [name, data] of Object.entries(buffers)) {
    const a = addresses.get(name)!;
    out[name] = new Float32Array(memory.buffer, a, data.length).slice();
    if (name === opts.atEnd) continue;
    const guard = new Float32Array(memory.buffer, a + data.length * 4, GUARD / 4);
    if (!guard.every(Number.isNaN)) throw new Error(`a kernel wrote past the end of '${name}'`);
  }
  return out;
}

export const rand = (n: number, seed: number, lo = -1, hi = 1): Float32Array => {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
};

/** |got - want| within float32 accumulation error for a dot product of length k. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, k: number): void {
  if (got.length !== want.length) throw new Error(`length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-5 * (1 + Math.abs(want[i]!)) * Math.sqrt(k);
    if (!(Math.abs(got[i]! - want[i]!) <= tol))
      throw new Error(`element ${i}: got ${got[i]}, expected ${want[i]} (tolerance ${tol})`);
  }
}
