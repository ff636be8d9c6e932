import { KilnError } from '../../../runtime/errors.js';
import type { DType } from '../../../runtime/dtype.js';
import { Tensor } from '../../../runtime/tensor.js';
import type { Node } from '../../ir/graph.js';
import { quantRange } from '../../reference/ops/nn/quantUtil.js';
import { type Affine, type Expr, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { directConv } from './conv-nd.js';
import { loopNest, strides } from './loops.js';
import { operandIndex } from './matmul.js';

/**
 * ConvInteger, QLinearConv, MatMulInteger and QLinearMatMul as loop kernels with exact integer
 * semantics: int32 accumulation of (a - a_zero)·(b - b_zero) (wrapping as int32 does). The QLinear ops
 * requantize as the reference: multiplier = float32(float32(a_scale·b_scale) / y_scale), the product
 * with the accumulator in float64, rounded half to even, plus y_zero_point, saturated to the output
 * type. Scales and zero points may be constants or fed at run time; constant weights get their zero
 * point subtracted at compile time. No SIMD int8 GEMM yet: the accumulation is a scalar i32 loop.
 */

/** Kernels whose requantization needs float64 products, which the webgpu target would narrow to f32. */
export const EXACT_F64_KERNELS = new Set(['qlinear_conv', 'qlinear_matmul']);

const bin = (op: 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min', a: Expr, b: Expr): Expr => ({
  k: 'bin',
  op,
  a,
  b,
});
const cast = (to: 'f32' | 'f64' | 'i32', a: Expr): Expr => ({ k: 'cast', to, a });

function refuse(node: Node, what: string, expected: string): KilnError {
  return new KilnError(what, { node: node.name, op: node.op, expected });
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** uint8 or int8, as the ops require of their quantized operands and zero points. */
function quantType(node: Node, ctx: LowerContext, v: string, what: string): void {
  const d = ctx.dtype(v);
  if (d !== 'uint8' && d !== 'int8') throw refuse(node, `${what} ('${v}') is ${d}`, 'uint8 or int8');
}

/**
 * Where a scale / zero point is read: one value (a scalar or one-element tensor: affine 0), or one
 * per index of the axis `v` walks (`len` values); anything else is refused.
 */
function paramAt(node: Node, ctx: LowerContext, name: string, what: string, len: number, at: Affine): Affine {
  const n = size(ctx.shape(node, name));
  if (n === 1) return affine(0);
  if (n !== len) throw refuse(node, `${what} ('${name}') has ${n} values`, `1 or ${len}`);
  return at;
}

/** A scale or zero point's value at `at` (its buffer: weight when constant, else activation). */
const param = (node: Node, ctx: LowerContext, name: string, at: Affine): Expr => ({
  k: 'load',
  buf: valueBuffer(ctx, node, name),
  at,
});

/** ctx.valueBuffer, once per value: a constant read in several places gets one weight buffer. */
const buffers = new WeakMap<LowerContext, Map<string, string>>();
function valueBuffer(ctx: LowerContext, node: Node, name: string): string {
  let m = buffers.get(ctx);
  if (!m) buffers.set(ctx, (m = new Map()));
  let b = m.get(name);
  if (!b) m.set(name, (b = ctx.valueBuffer(node, name)));
  return b;
}

/**
 * A quantized operand minus its zero point, as an i32 buffer computed at compile time when the
 * operand is constant (`zeroIndex` gives a flat element's zero-point index); undefined otherwise.
 * `transpose`: stored with its last two axes swapped (a matmul's B as [..., N, K], so the k loop
 * reads it contiguously).
 */
function shiftedConstant(
  node: Node,
  ctx: LowerContext,
  name: string,
  zp: string | undefined,
  zeroIndex: (i: number) => number,
  transpose = false,
): string | undefined {
  const t = ctx.constant(name);
  if (!t || (zp && !ctx.constant(zp))) return undefined;
  const z = zp ? Array.from(ctx.constant(zp)!.data as ArrayLike<number>, Number) : [0];
  const d = t.data as ArrayLike<number>;
  let data = Int32Array.from({ length: t.size }, (_, i) => d[i]! - z[z.length === 1 ? 0 : zeroIndex(i)]!);
  let shape = [...t.shape];
  if (transpose) {
    const [R, C] = shape.slice(-2) as [number, number];
    const src = data;
    data = new Int32Array(src.length);
    for (let b = 0; b < src.length; b += R * C)
      for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) data[b + c * R + r] = src[b + r * C + c]!;
    shape = [...shape.slice(0, -2), C, R];
  }
  const hint = `${node.name}:${name}-zp`;
  ctx.constants.set(hint, new Tensor('int32', shape, data));
  ctx.types.set(hint, { dtype: 'int32', shape });
  return ctx.constantBuffer(node, hint);
}

/** The QLinear output: round_half_even(acc · mult) + y_zero_point, saturated; acc i32, mult f32. */
function requantize(node: Node, ctx: LowerContext, acc: Expr, mult: Expr, yzName: string | undefined): Expr {
  const outType = (yzName ? ctx.dtype(yzName) : 'uint8') as DType;
  const [lo, hi] = quantRange(node, outType);
  const q = bin(
    'add',
    { k: 'un', op: 'round', a: bin('mul', cast('f64', acc), cast('f64', mult)) },
    yzName ? cast('f64', param(node, ctx, yzName, affine(0))) : { k: 'const', v: 0 },
  );
  return cast('i32', bin('min', bin('max', q, { k: 'const', v: lo }), { k: 'const', v: hi }));
}

/** ConvInteger (int32 output) and QLinearConv (requantized): a direct i32 convolution (conv-nd.ts). */
export function lowerIntegerConv(node: Node, ctx: LowerContext): void {
  const q = node.op === 'QLinearConv';
  const [xName, xzName, wName, wzName] = q
    ? [node.inputs[0], node.inputs[2], node.inputs[3], node.inputs[5]]
    : [node.inputs[0], node.inputs[2], node.inputs[1], node.inputs[3]];
  quantType(node, ctx, xName!, 'x');
  quantType(node, ctx, wName!, 'w');
  const wShape = ctx.shape(node, wName!);
  const M = wShape[0]!;
  const inner = size(wShape) / M;
  if (xzName) paramAt(node, ctx, xzName, 'x_zero_point', 1, affine(0));
  const wzAt = (channel: Affine) =>
    wzName ? paramAt(node, ctx, wzName, 'w_zero_point', M, channel) : affine(0);
  const wShifted = shiftedConstant(node, ctx, wName!, wzName, (i) => Math.floor(i / inner));
  const xz = xzName ? param(node, ctx, xzName, affine(0)) : undefined;
  const bName = q ? node.inputs[8] : undefined;
  if (bName && (ctx.dtype(bName) !== 'int32' || size(ctx.shape(node, bName)) !== M))
    throw refuse(node, `B is ${ctx.dtype(bName)}[${ctx.shape(node, bName).join(',')}]`, `int32[${M}]`);
  directConv(node, ctx, {
    x: valueBuffer(ctx, node, xName!),
    xShape: ctx.shape(node, xName!),
    w: wShifted ?? valueBuffer(ctx, node, wName!),
    wShape,
    // the padded copy holds x - x_zero_point, so the padding (0) contributes nothing, as in the spec
    padX: { dtype: 'i32', map: (e) => (xz ? bin('sub', e, { ...xz }) : e) },
    init: (channel) => (bName ? param(node, ctx, bName, channel) : { k: 'const', v: 0, t: 'i32' }),
    term: (x, w, channel) =>
      bin('mul', x, wShifted || !wzName ? w : bin('sub', w, param(node, ctx, wzName, wzAt(channel)))),
    finish: (acc, channel) => {
      if (!q) return acc;
      const [xs, ws, ys, yz] = [node.inputs[1]!, node.inputs[4]!, node.inputs[6]!, node.inputs[7]];
      paramAt(node, ctx, xs, 'x_scale', 1, affine(0));
      paramAt(node, ctx, ys, 'y_scale', 1, affine(0));
      const mult = bin(
        'div',
        bin(
          'mul',
          param(node, ctx, xs, affine(0)),
          param(node, ctx, ws, paramAt(node, ctx, ws, 'w_scale', M, channel)),
        ),
        param(node, ctx, ys, affine(0)),
      );
      return requantize(node, ctx, acc, mult, yz);
    },
    name: q ? 'qlinear_conv' : 'conv_integer',
  });
}

/** MatMulInteger (int32 output) and QLinearMatMul (requantized), numpy matmul broadcasting. */
export function lowerIntegerMatMul(node: Node, ctx: LowerContext): void {
  const q = node.op === 'QLinearMatMul';
  const [aName, azName, bName, bzName] = q
    ? [node.inputs[0], node.inputs[2], node.inputs[3], node.inputs[5]]
    : [node.inputs[0], node.inputs[2], node.inputs[1], node.inputs[3]];
  quantType(node, ctx, aName!, 'A');
  quantType(node, ctx, bName!, 'B');
  const aShape = ctx.shape(node, aName!);
  const bShape = ctx.shape(node, bName!);
  const outShape = ctx.shape(node, node.outputs[0]!);
  if (!aShape.length || !bShape.length) throw refuse(node, 'a scalar operand', 'rank >= 1 for both inputs');
  const aHasM = aShape.length >= 2;
  const bHasN = bShape.length >= 2;
  const M = aHasM ? aShape[aShape.length - 2]! : 1;
  const K = aShape[aShape.length - 1]!;
  const N = bHasN ? bShape[bShape.length - 1]! : 1;
  const rank = outShape.length;
  const batchRank = rank - (aHasM ? 1 : 0) - (bHasN ? 1 : 0);
  // a constant B is stored shifted and transposed ([..., N, K]): the k loop then reads it contiguously
  const bShifted = shiftedConstant(node, ctx, bName!, bzName, (i) => i % N, bHasN);
  const bIndexShape = bShifted && bHasN ? [...bShape.slice(0, -2), N, K] : bShape;
  const a = valueBuffer(ctx, node, aName!);
  const b = bShifted ?? valueBuffer(ctx, node, bName!);
  const out = ctx.activation(node.outputs[0]!, size(outShape));
  const ost = strides(outShape);
  const body = loopNest(
    outShape,
    'i',
    (vars) => {
      const mv = aHasM ? vars[batchRank]! : '';
      const nv = bHasN ? vars[rank - 1]! : '';
      const row = mv ? affine(0, [mv, 1]) : affine(0);
      const col = nv ? affine(0, [nv, 1]) : affine(0);
      let av: Expr = {
        k: 'load',
        buf: a,
        at: operandIndex(
          aShape,
          aHasM ? 2 : 1,
          batchRank,
          vars,
          aHasM
            ? [
                [mv, 0],
                ['k', 1],
              ]
            : [['k', 0]],
        ),
      };
      let bv: Expr = {
        k: 'load',
        buf: b,
        at: operandIndex(
          bIndexShape,
          bHasN ? 2 : 1,
          batchRank,
          vars,
          !bHasN
            ? [['k', 0]]
            : bIndexShape === bShape
              ? [
                  ['k', 0],
                  [nv, 1],
                ]
              : [
                  ['k', 1],
                  [nv, 0],
                ],
        ),
      };
      if (azName)
        av = bin('sub', av, param(node, ctx, azName, paramAt(node, ctx, azName, 'a_zero_point', M, row)));
      if (bzName && !bShifted)
        bv = bin('sub', bv, param(node, ctx, bzName, paramAt(node, ctx, bzName, 'b_zero_point', N, col)));
      const acc: Expr = { k: 'acc', name: 's' };
      let value: Expr = acc;
      if (q) {
        const [as, bs, ys, yz] = [node.inputs[1]!, node.inputs[4]!, node.inputs[6]!, node.inputs[7]];
        paramAt(node, ctx, ys, 'y_scale', 1, affine(0));
        const mult = bin(
          'div',
          bin(
            'mul',
            param(node, ctx, as, paramAt(node, ctx, as, 'a_scale', M, row)),
            param(node, ctx, bs, paramAt(node, ctx, bs, 'b_scale', N, col)),
          ),
          param(node, ctx, ys, affine(0)),
        );
        value = requantize(node, ctx, acc, mult, yz);
      }
      return [
        { k: 'set', acc: 's', value: { k: 'const', v: 0, t: 'i32' } },
        {
          k: 'loop',
          v: 'k',
          n: K,
          body: [{ k: 'set', acc: 's', value: bin('add', acc, bin('mul', av, bv)) }],
        },
        { k: 'store', buf: out, at: affine(0, ...vars.map((v, i): [string, number] => [v, ost[i]!])), value },
      ];
    },
    false,
  );
  ctx.emit({
    kind: 'loops',
    name: q ? 'qlinear_matmul' : 'matmul_integer',
    nodes: [node.name],
    buffers: [],
    body,
  });
}
