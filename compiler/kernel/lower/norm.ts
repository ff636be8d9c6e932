import { attrFloat, attrInt, attrIntsOpt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, affine } from '../ir.js';
import { splitAxes } from './axes.js';
import { type LowerContext, constantF32 } from './context.js';
import { loopNest, strides } from './loops.js';

/** InstanceNormalization and LRN: per-channel normalisations of [N, C, ...] tensors. */

const acc = (name: string): Expr => ({ k: 'acc', name });
const bin = (op: 'add' | 'sub' | 'mul' | 'div', a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });
const c = (v: number): Expr => ({ k: 'const', v });

function operand(ctx: LowerContext, node: Node, value: string, what: string): string {
  return ctx.constant(value) ? ctx.weight(value, constantF32(ctx, node, value, what)) : ctx.buffer(value);
}

/**
 * Per kept position, the mean of xi over the reduced axes into acc 'mean' and the sum of squared
 * deviations from it into acc 'v' (divide by sp.n for the population variance).
 */
export function meanAndSquaredDeviations(sp: ReturnType<typeof splitAxes>, xi: Expr): Stmt[] {
  const centered = bin('sub', xi, acc('mean'));
  return [
    { k: 'set', acc: 's', value: c(0) },
    ...sp.reduceLoops([{ k: 'set', acc: 's', value: bin('add', acc('s'), xi) }]),
    { k: 'set', acc: 'mean', value: bin('mul', acc('s'), c(1 / sp.n)) },
    { k: 'set', acc: 'v', value: c(0) },
    ...sp.reduceLoops([{ k: 'set', acc: 'v', value: bin('add', acc('v'), bin('mul', centered, centered)) }]),
  ];
}

/** InstanceNormalization: mean and variance over the spatial axes of each (n, c), then scale[c], B[c]. */
export function lowerInstanceNorm(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const sp = splitAxes(
    shape,
    shape.slice(2).map((_, i) => i + 2),
  );
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const x = ctx.buffer(node.inputs[0]!);
  const perC = (i: number, what: string): Expr => ({
    k: 'load',
    buf: operand(ctx, node, node.inputs[i]!, what),
    at: affine(0, ['o1', 1]),
  });
  const scale = perC(1, 'scale');
  const bias = perC(2, 'B');
  const out = ctx.activation(node.outputs[0]!, sp.outer * sp.n);
  const xi: Expr = { k: 'load', buf: x, at: sp.inAt };
  const centered = bin('sub', xi, acc('mean'));
  const body: Stmt[] = [
    ...meanAndSquaredDeviations(sp, xi),
    {
      k: 'set',
      acc: 'k',
      value: bin('mul', scale, {
        k: 'un',
        op: 'recip',
        a: { k: 'un', op: 'sqrt', a: bin('add', bin('mul', acc('v'), c(1 / sp.n)), c(eps)) },
      }),
    },
    ...sp.reduceLoops([
      { k: 'store', buf: out, at: sp.inAt, value: bin('add', bin('mul', centered, acc('k')), bias) },
    ]),
  ];
  // The kept axes are [N, C]: vectorising over C gathers strided lanes, which is still correct.
  ctx.emit({ kind: 'loops', name: node.op, nodes: [node.name], buffers: [], body: sp.keptLoops(body) });
}

/**
 * LRN: y = x / (bias + α/size · Σ x²)^β over a window of channels. The squares go into a buffer
 * zero-padded on the channel axis so every window has `size` terms and the sum is affine; the power
 * is exp(−β·log(base)), base > 0 since bias > 0 in practice.
 */
export function lowerLRN(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const [N, C] = [shape[0]!, shape[1]!];
  const inner = shape.slice(2).reduce((p, d) => p * d, 1);
  const size = attrInt(node, 'size');
  const alpha = attrFloat(node, 'alpha', 1e-4);
  const beta = attrFloat(node, 'beta', 0.75);
  const bias = attrFloat(node, 'bias', 1);
  const lo = Math.floor((size - 1) / 2);
  const Cp = C + size - 1;
  const x = ctx.buffer(node.inputs[0]!);
  const sq = ctx.temp(`${node.name}:sq`, N * Cp * inner);
  const out = ctx.activation(node.outputs[0]!, N * C * inner);
  const [xs, ps] = [strides([N, C, inner]), strides([N, Cp, inner])];
  const at =
    (st: number[], off = 0) =>
    (v: string[]) =>
      affine(off, ...v.map((name, i): [string, number] => [name, st[i]!]));
  const xAt = at(xs);
  ctx.emit({
    kind: 'loops',
    name: 'LRN',
    nodes: [node.name],
    buffers: [],
    body: [
      ...loopNest([N * Cp * inner], 'z', (v) => [
        { k: 'store', buf: sq, at: affine(0, [v[0]!, 1]), value: c(0) },
      ]),
      ...loopNest([N, C, inner], 'q', (v) => {
        const xv: Expr = { k: 'load', buf: x, at: xAt(v) };
        return [{ k: 'store', buf: sq, at: at(ps, lo * inner)(v), value: bin('mul', xv, xv) }];
      }),
      ...loopNest([N, C, inner], 'i', (v) => [
        { k: 'set', acc: 's', value: c(0) },
        {
          k: 'loop',
          v: 'w',
          n: size,
          body: [
            {
              k: 'set',
              acc: 's',
              value: bin('add', acc('s'), {
                k: 'load',
                buf: sq,
                at: affine(0, [v[0]!, ps[0]!], [v[1]!, ps[1]!], [v[2]!, 1], ['w', inner]),
              }),
            },
          ],
        },
        {
          k: 'store',
          buf: out,
          at: xAt(v),
          value: bin(
            'mul',
            { k: 'load', buf: x, at: xAt(v) },
            {
              k: 'un',
              op: 'exp',
              a: bin('mul', c(-beta), {
                k: 'un',
                op: 'log',
                a: bin('add', c(bias), bin('mul', c(alpha / size), acc('s'))),
              }),
            },
          ),
        },
      ]),
    ],
  });
}

/** MeanVarianceNormalization: (x − mean) / (√var + 1e-9) over `axes` (default [0, 2, 3]), as its function body. */
export function lowerMVN(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const sp = splitAxes(shape, attrIntsOpt(node, 'axes') ?? [0, 2, 3]);
  const out = ctx.activation(node.outputs[0]!, sp.outer * sp.n);
  const xi: Expr = { k: 'load', buf: ctx.buffer(node.inputs[0]!), at: sp.inAt };
  const centered = bin('sub', xi, acc('mean'));
  const body: Stmt[] = [
    ...meanAndSquaredDeviations(sp, xi),
    {
      k: 'set',
      acc: 'k',
      value: {
        k: 'un',
        op: 'recip',
        a: bin('add', { k: 'un', op: 'sqrt', a: bin('mul', acc('v'), c(1 / sp.n)) }, c(1e-9)),
      },
    },
    ...sp.reduceLoops([{ k: 'store', buf: out, at: sp.inAt, value: bin('mul', centered, acc('k')) }]),
  ];
  ctx.emit({ kind: 'loops', name: node.op, nodes: [node.name], buffers: [], body: sp.keptLoops(body) });
}
