import { KilnError } from '../../../runtime/errors.js';
import type { DType } from '../../../runtime/dtype.js';
import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { quantRange } from '../../reference/ops/nn/quantUtil.js';
import { type Affine, type Expr, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { perElementKernel } from './per-element.js';

const NARROW = new Set(['uint8', 'int8', 'uint16', 'int16']);

/** A buffer for a value: its weight when constant, else its activation. */
const source = (ctx: LowerContext, node: Node, v: string) =>
  ctx.constant(v) ? ctx.constantBuffer(node, v) : ctx.buffer(v);

/**
 * Where a scale / zero point is read for each element: one value (a scalar or a one-element
 * tensor), or one per index along `axis` (per-axis quantization). Blocked quantization (opset 21
 * block_size) is refused.
 */
function paramAt(node: Node, ctx: LowerContext, v: string, xShape: number[], vars: string[]): Affine {
  const n = ctx.shape(node, v).reduce((a, b) => a * b, 1);
  if (n === 1) return affine(0);
  const axis = ctx.opset(node) >= 13 ? attrInt(node, 'axis', 1) : 1;
  const a = axis < 0 ? axis + xShape.length : axis;
  const blocked = ctx.opset(node) >= 21 && attrInt(node, 'block_size', 0) !== 0;
  if (blocked || ctx.shape(node, v).length !== 1 || n !== xShape[a])
    throw new KilnError(`'${v}' has shape [${ctx.shape(node, v).join(',')}]`, {
      node: node.name,
      op: node.op,
      expected: `a scalar or one value per index of axis ${a} (per-axis, not blocked, on the wasm target)`,
    });
  return affine(0, [vars[a]!, 1]);
}

function refuse(node: Node, what: string, expected: string): KilnError {
  return new KilnError(what, { node: node.name, op: node.op, expected });
}

/**
 * QuantizeLinear from float32 to 8/16-bit integers: y = saturate(round_half_even(x / scale) + zp),
 * the division in float32 as the reference does for float32 scales; NaN gives the zero point.
 */
export function lowerQuantizeLinear(node: Node, ctx: LowerContext): void {
  const [xName, sName, zName] = node.inputs;
  const outType = ctx.dtype(node.outputs[0]!) ?? '';
  if (ctx.dtype(xName!) !== 'float32' || ctx.dtype(sName!) !== 'float32')
    throw refuse(
      node,
      `x is ${ctx.dtype(xName!)}, y_scale ${ctx.dtype(sName!)}`,
      'float32 x and y_scale on the wasm target',
    );
  if (!NARROW.has(outType))
    throw refuse(
      node,
      `output '${node.outputs[0]}' is ${outType}`,
      'uint8, int8, uint16 or int16 on the wasm target',
    );
  const [lo, hi] = quantRange(node, outType as DType);
  const shape = ctx.shape(node, xName!);
  const x = ctx.buffer(xName!);
  const s = source(ctx, node, sName!);
  const z = zName ? source(ctx, node, zName) : undefined;
  perElementKernel(ctx, node, 'quantize_linear', shape, 'q', (v, at) => {
    const zp: Expr = z
      ? { k: 'cast', to: 'f32', a: { k: 'load', buf: z, at: paramAt(node, ctx, zName!, shape, v) } }
      : { k: 'const', v: 0, t: 'f32' };
    const q: Expr = {
      k: 'bin',
      op: 'add',
      a: {
        k: 'un',
        op: 'round',
        a: {
          k: 'bin',
          op: 'div',
          a: { k: 'load', buf: x, at },
          b: { k: 'load', buf: s, at: paramAt(node, ctx, sName!, shape, v) },
        },
      },
      b: zp,
    };
    const clamped: Expr = {
      k: 'bin',
      op: 'min',
      a: { k: 'bin', op: 'max', a: q, b: { k: 'const', v: lo } },
      b: { k: 'const', v: hi },
    };
    // NaN (q ≠ q) quantizes to the zero point
    const value: Expr = { k: 'select', cmp: 'eq', a: q, b: q, t: clamped, f: zp };
    return { k: 'cast', to: 'i32', a: value };
  });
}

/** DequantizeLinear from 8/16/32-bit integers to float32: y = (x - zp) · scale. */
export function lowerDequantizeLinear(node: Node, ctx: LowerContext): void {
  const [xName, sName, zName] = node.inputs;
  const xType = ctx.dtype(xName!) ?? '';
  if (!NARROW.has(xType) && xType !== 'int32')
    throw refuse(node, `x is ${xType}`, 'uint8, int8, uint16, int16 or int32 on the wasm target');
  if (ctx.dtype(sName!) !== 'float32')
    throw refuse(node, `x_scale is ${ctx.dtype(sName!)}`, 'float32 on the wasm target');
  const shape = ctx.shape(node, xName!);
  const x = ctx.buffer(xName!);
  const s = source(ctx, node, sName!);
  const z = zName ? source(ctx, node, zName) : undefined;
  perElementKernel(ctx, node, 'dequantize_linear', shape, 'd', (v, at) => {
    const xv: Expr = { k: 'load', buf: x, at };
    // x - zp in i32 is exact for these types (int32 as the reference: in float64, rounded once)
    const diff: Expr =
      xType === 'int32'
        ? {
            k: 'cast',
            to: 'f32',
            a: {
              k: 'bin',
              op: 'sub',
              a: { k: 'cast', to: 'f64', a: xv },
              b: z
                ? {
                    k: 'cast',
                    to: 'f64',
                    a: { k: 'load', buf: z, at: paramAt(node, ctx, zName!, shape, v) },
                  }
                : { k: 'const', v: 0 },
            },
          }
        : {
            k: 'cast',
            to: 'f32',
            a: z
              ? {
                  k: 'bin',
                  op: 'sub',
                  a: xv,
                  b: { k: 'load', buf: z, at: paramAt(node, ctx, zName!, shape, v) },
                }
              : xv,
          };
    const value: Expr = {
      k: 'bin',
      op: 'mul',
      a: diff,
      b: { k: 'load', buf: s, at: paramAt(node, ctx, sName!, shape, v) },
    };
    return value;
  });
}
