import type { Affine, Expr, Kernel, Stmt } from '../../compiler/kernel/ir.js';
import type { LoweredModel } from '../../compiler/kernel/lower/index.js';
import { kernelUses } from '../../compiler/kernel/uses.js';
import { EXACT_F64_KERNELS } from '../../compiler/kernel/lower/quantized.js';
import { KilnError } from '../../runtime/errors.js';

/** Element types WGSL stores as one 32-bit word of the arena or weights (i32 as its bits). */
const WORD_TYPES = new Set(['f32', 'i32']);
/**
 * Graph I/O dtypes the runtime converts (bool is f32 0/1 in the IR; int64 inputs are narrowed to i32
 * on upload with a range check, int64 outputs written as two words by a cast, see narrow-int64.ts).
 */
const IO_DTYPES = [
  'float32',
  'float64',
  'float16',
  'int32',
  'int64',
  'bool',
  'int8',
  'uint8',
  'int16',
  'uint16',
];

/**
 * What the WGSL renderer handles today: f32 and i32 buffers and expressions (casts between them,
 * integer ops on i32), affine indexes and run-time index terms. The shared kernel IR also has i64/f64
 * (WGSL has neither) and 8/16-bit/u32 element types (stored narrow or computed as i64); a kernel that
 * needs them is refused here, at compile time, naming its op and node.
 */
export function checkWebGpuSupport(lowered: LoweredModel): void {
  // int64 inputs no kernel reads (bound at compile time, kiln compile --bind) are uploaded as their bits
  const read = new Set(lowered.kernels.flatMap((k) => [...kernelUses(k).reads]));
  for (const io of lowered.inputs)
    if (!IO_DTYPES.includes(io.dtype) && (io.dtype !== 'int64' || read.has(io.buffer)))
      throw new KilnError(`input '${io.name}' is ${io.dtype}`, {
        expected: 'float16/32/64, bool, int8/16/32/64 or uint8/16 inputs on the webgpu target',
      });
  for (const io of lowered.outputs)
    if (!IO_DTYPES.includes(io.dtype))
      throw new KilnError(`output '${io.name}' is ${io.dtype}`, {
        expected: 'float16/32/64, bool, int8/16/32/64 or uint8/16 outputs on the webgpu target',
      });
  for (const k of lowered.kernels) {
    if (EXACT_F64_KERNELS.has(k.name))
      throw new KilnError(
        `${k.name} requantizes with float64 products, which the webgpu target computes as float32 (results could be off by one)`,
        { node: k.nodes[0], op: k.name, expected: 'the wasm target for QLinearConv/QLinearMatMul' },
      );
    const need = unsupported(k, lowered);
    if (need)
      throw new KilnError(`${k.name} needs ${need}, which the webgpu target does not render yet`, {
        node: k.nodes[0],
        op: k.name,
        expected: 'kernels on float32 and int32 values',
      });
  }
}

function unsupported(k: Kernel, lowered: LoweredModel): string | undefined {
  const { reads, writes } = kernelUses(k);
  const typeOf = (name: string) => lowered.buffers.get(name)?.dtype ?? 'f32';
  if (k.kind === 'gemm') {
    // the GEMM template computes in f32
    const other = [...reads, ...writes].find((name) => typeOf(name) !== 'f32');
    return other && `a ${typeOf(other)} buffer ('${other}')`;
  }
  // an i64 buffer left after narrowInt64 is a graph output; the loop renderer reads its low word
  const readable = (t: string) => WORD_TYPES.has(t) || t === 'i64';
  for (const name of reads) if (!readable(typeOf(name))) return `a ${typeOf(name)} buffer ('${name}')`;
  for (const name of writes) {
    const t = typeOf(name);
    if (WORD_TYPES.has(t)) continue;
    if (t !== 'i64' || k.kind !== 'loops' || !storeOnlyI64(k.body, name)) return `a ${t} buffer ('${name}')`;
  }
  if (k.kind !== 'loops') return undefined;
  // run-time index terms, in loads and stores (scatters): parallel.ts runs a nest whose run-time
  // indexes touch a buffer it stores to in order, on one thread
  const load = (_buf: string, at: Affine): string | undefined =>
    at.dyn?.map((d) => expr(d.e, load)).find((x) => x);
  return stmts(k.body, load);
}

type LoadCheck = (buf: string, at: Affine) => string | undefined;

function stmts(body: Stmt[], load: LoadCheck): string | undefined {
  for (const s of body) {
    const why =
      s.k === 'loop'
        ? stmts(s.body, load)
        : s.k === 'store'
          ? (load(s.buf, s.at) ?? storedValue(s.value, load))
          : expr(s.value, load);
    if (why) return why;
  }
  return undefined;
}

/** A cast to i64 stored whole is rendered exactly (the buffer was checked: storeOnlyI64). */
const storedValue = (v: Expr, load: LoadCheck): string | undefined =>
  v.k === 'cast' && v.to === 'i64' ? expr(v.a, load) : expr(v, load);

const scalar = (t: string | undefined): string | undefined =>
  t === undefined || t === 'f32' || t === 'i32' ? undefined : `${t} arithmetic`;

function expr(e: Expr, load: LoadCheck): string | undefined {
  const r = (x: Expr) => expr(x, load);
  switch (e.k) {
    case 'const':
      return scalar(e.t);
    case 'cast':
      return scalar(e.to) ?? r(e.a);
    case 'load':
      return load(e.buf, e.at);
    case 'acc':
      return undefined;
    case 'un':
      return r(e.a);
    case 'bin':
      return r(e.a) ?? r(e.b);
    case 'select':
      return [e.a, e.b, e.t, e.f].map(r).find((x) => x);
  }
  return undefined;
}

/**
 * An i64 buffer WGSL can write: never read on the GPU, every store a cast to i64 of an f32/i32 value
 * (ArgMax's indices, Cast to int64), rendered as the exact low and high words (wgsl.ts storeI64).
 */
function storeOnlyI64(body: Stmt[], buf: string): boolean {
  return body.every((s) =>
    s.k === 'loop'
      ? storeOnlyI64(s.body, buf)
      : s.k !== 'store' || s.buf !== buf || (s.value.k === 'cast' && s.value.to === 'i64'),
  );
}
