import type { Affine, Expr, Kernel, Stmt } from '../../compiler/kernel/ir.js';
import type { LoweredModel } from '../../compiler/kernel/lower/index.js';
import { kernelUses } from '../../compiler/kernel/uses.js';
import { KilnError } from '../../runtime/errors.js';

const INTEGER_OPS = new Set(['rem', 'and', 'or', 'xor', 'shl', 'shr_u', 'not']);

/**
 * What the WGSL renderer handles today: f32 buffers and expressions, affine indexes. The shared kernel
 * IR also has integer/f64 element types, casts and run-time index terms (the wasm target renders them);
 * a kernel that needs them is refused here, at compile time, naming its op and node.
 */
export function checkWebGpuSupport(lowered: LoweredModel): void {
  for (const io of lowered.inputs)
    if (io.dtype !== 'float32' && io.dtype !== 'bool')
      throw new KilnError(`input '${io.name}' is ${io.dtype}`, {
        expected: 'float32 or bool inputs on the webgpu target',
      });
  for (const io of lowered.outputs)
    if (!['float32', 'int64', 'bool'].includes(io.dtype))
      throw new KilnError(`output '${io.name}' is ${io.dtype}`, {
        expected: 'float32, bool or int64 (ArgMax) outputs on the webgpu target',
      });
  for (const k of lowered.kernels) {
    const need = unsupported(k, lowered);
    if (need)
      throw new KilnError(`${k.name} needs ${need}, which the webgpu target does not render yet`, {
        node: k.nodes[0],
        op: k.name,
        expected: 'float32 kernels with affine indexes',
      });
  }
}

function unsupported(k: Kernel, lowered: LoweredModel): string | undefined {
  const { reads, writes } = kernelUses(k);
  for (const name of [...reads, ...writes]) {
    const t = lowered.buffers.get(name)?.dtype ?? 'f32';
    if (t !== 'f32') return `a ${t} buffer ('${name}')`;
  }
  return k.kind === 'loops' ? stmts(k.body) : undefined;
}

function stmts(body: Stmt[]): string | undefined {
  for (const s of body) {
    const why =
      s.k === 'loop' ? stmts(s.body) : s.k === 'store' ? (index(s.at) ?? expr(s.value)) : expr(s.value);
    if (why) return why;
  }
  return undefined;
}

const index = (at: Affine): string | undefined => (at.dyn?.length ? 'run-time indexes' : undefined);

function expr(e: Expr): string | undefined {
  switch (e.k) {
    case 'const':
      return e.t && e.t !== 'f32' ? `${e.t} arithmetic` : undefined;
    case 'cast':
      return `a cast to ${e.to}`;
    case 'load':
      return index(e.at);
    case 'acc':
      return undefined;
    case 'un':
      return INTEGER_OPS.has(e.op) ? `integer op ${e.op}` : expr(e.a);
    case 'bin':
      return INTEGER_OPS.has(e.op) ? `integer op ${e.op}` : (expr(e.a) ?? expr(e.b));
    case 'select':
      return [e.a, e.b, e.t, e.f].map(expr).find((x) => x);
  }
  return undefined;
}
