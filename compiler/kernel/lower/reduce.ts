import { KilnError } from '../../../runtime/errors.js';
import { attrFloat, attrInt, attrIntsOpt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, affine } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { strides } from './loops.js';

const acc = (name: string): Expr => ({ k: 'acc', name });

/**
 * Treat x as [outer, n] rows (the reduced axes must be the trailing ones, contiguous): returns the
 * row count and length, or an error naming the op when the axes are not trailing.
 */
function rows(node: Node, shape: number[], axes: number[]): { outer: number; n: number } {
  const r = shape.length;
  const norm = [...new Set(axes.map((a) => (a < 0 ? a + r : a)))].sort((a, b) => a - b);
  if (norm.some((a, i) => a !== r - norm.length + i)) {
    throw new KilnError(`reducing axes [${axes}] of rank ${r}`, {
      node: node.name,
      op: node.op,
      expected: 'trailing axes on the wasm target',
    });
  }
  const n = norm.reduce((p, a) => p * shape[a]!, 1);
  return { outer: shape.reduce((a, b) => a * b, 1) / n, n };
}

function reduceAxes(node: Node, ctx: LowerContext, rank: number): number[] {
  if (node.op === 'GlobalAveragePool' || node.op === 'GlobalMaxPool')
    return Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const fromInput = node.inputs[1] ? Array.from(constantF32(ctx, node, node.inputs[1], 'axes')) : undefined;
  const axes = fromInput ?? attrIntsOpt(node, 'axes');
  return axes && axes.length ? axes : Array.from({ length: rank }, (_, i) => i);
}

/** ReduceMean/Sum/Max/Min over trailing axes and the global pools: one accumulator per row. */
export function lowerReduce(node: Node, ctx: LowerContext): void {
  const x = ctx.buffer(node.inputs[0]!);
  const shape = ctx.shape(node, node.inputs[0]!);
  const { outer, n } = rows(node, shape, reduceAxes(node, ctx, shape.length));
  const kind = {
    ReduceMean: 'mean',
    GlobalAveragePool: 'mean',
    ReduceSum: 'sum',
    ReduceMax: 'max',
    GlobalMaxPool: 'max',
    ReduceMin: 'min',
  }[node.op];
  if (!kind) throw new KilnError(`op ${node.op} is not lowered`, { node: node.name, op: node.op });
  const out = ctx.activation(node.outputs[0]!, outer);
  const init = kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0;
  const combine = kind === 'max' ? 'max' : kind === 'min' ? 'min' : 'add';
  const result: Expr =
    kind === 'mean' ? { k: 'bin', op: 'mul', a: acc('s'), b: { k: 'const', v: 1 / n } } : acc('s');
  ctx.emit({
    kind: 'loops',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'r',
        n: outer,
        vector: outer >= 4,
        body: [
          { k: 'set', acc: 's', value: { k: 'const', v: init } },
          {
            k: 'loop',
            v: 'j',
            n,
            body: [
              {
                k: 'set',
                acc: 's',
                value: {
                  k: 'bin',
                  op: combine,
                  a: acc('s'),
                  b: { k: 'load', buf: x, at: affine(0, ['r', n], ['j', 1]) },
                },
              },
            ],
          },
          { k: 'store', buf: out, at: affine(0, ['r', 1]), value: result },
        ],
      },
    ],
  });
}

/** Softmax / LogSoftmax over the last axis: max, sum of exp(x - max), then normalise. */
export function lowerSoftmax(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const rank = shape.length;
  const axis = attrInt(node, 'axis', ctx.opset(node) >= 13 ? -1 : 1);
  const a = axis < 0 ? axis + rank : axis;
  // Before opset 13 the input is coerced to 2-D at `axis`; from 13 the axis must be the last one here.
  const axes = ctx.opset(node) >= 13 ? [a] : Array.from({ length: rank - a }, (_, i) => a + i);
  const { outer, n } = rows(node, shape, axes);
  const x = ctx.buffer(node.inputs[0]!);
  const out = ctx.activation(node.outputs[0]!, outer * n);
  const xi: Expr = { k: 'load', buf: x, at: affine(0, ['r', n], ['j', 1]) };
  const shifted: Expr = { k: 'bin', op: 'sub', a: xi, b: acc('m') };
  const log = node.op === 'LogSoftmax';
  const value: Expr = log
    ? { k: 'bin', op: 'sub', a: shifted, b: { k: 'un', op: 'log', a: acc('s') } }
    : {
        k: 'bin',
        op: 'mul',
        a: { k: 'un', op: 'exp', a: shifted },
        b: { k: 'un', op: 'recip', a: acc('s') },
      };
  const body: Stmt[] = [
    { k: 'set', acc: 'm', value: { k: 'const', v: -Infinity } },
    {
      k: 'loop',
      v: 'j',
      n,
      body: [{ k: 'set', acc: 'm', value: { k: 'bin', op: 'max', a: acc('m'), b: xi } }],
    },
    { k: 'set', acc: 's', value: { k: 'const', v: 0 } },
    {
      k: 'loop',
      v: 'j',
      n,
      body: [
        {
          k: 'set',
          acc: 's',
          value: { k: 'bin', op: 'add', a: acc('s'), b: { k: 'un', op: 'exp', a: shifted } },
        },
      ],
    },
    { k: 'loop', v: 'j', n, body: [{ k: 'store', buf: out, at: affine(0, ['r', n], ['j', 1]), value }] },
  ];
  ctx.emit({
    kind: 'loops',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    body: [{ k: 'loop', v: 'r', n: outer, vector: outer >= 4, body }],
  });
}

/** LayerNormalization over trailing axes (from `axis`), with scale and optional bias. */
export function lowerLayerNorm(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const axis = attrInt(node, 'axis', -1);
  const a = axis < 0 ? axis + shape.length : axis;
  const { outer, n } = rows(
    node,
    shape,
    Array.from({ length: shape.length - a }, (_, i) => a + i),
  );
  if (node.outputs.length > 1 && node.outputs.slice(1).some(Boolean)) {
    throw new KilnError('LayerNormalization Mean/InvStdDev outputs are not lowered', {
      node: node.name,
      op: node.op,
    });
  }
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const x = ctx.buffer(node.inputs[0]!);
  const gamma = ctx.weight(node.inputs[1]!, constantF32(ctx, node, node.inputs[1]!, 'Scale'));
  const beta = node.inputs[2]
    ? ctx.weight(node.inputs[2], constantF32(ctx, node, node.inputs[2], 'B'))
    : undefined;
  const out = ctx.activation(node.outputs[0]!, outer * n);
  const xi: Expr = { k: 'load', buf: x, at: affine(0, ['r', n], ['j', 1]) };
  const centered: Expr = { k: 'bin', op: 'sub', a: xi, b: acc('mean') };
  let y: Expr = {
    k: 'bin',
    op: 'mul',
    a: { k: 'bin', op: 'mul', a: centered, b: acc('inv') },
    b: { k: 'load', buf: gamma, at: affine(0, ['j', 1]) },
  };
  if (beta) y = { k: 'bin', op: 'add', a: y, b: { k: 'load', buf: beta, at: affine(0, ['j', 1]) } };
  const body: Stmt[] = [
    { k: 'set', acc: 's', value: { k: 'const', v: 0 } },
    {
      k: 'loop',
      v: 'j',
      n,
      body: [{ k: 'set', acc: 's', value: { k: 'bin', op: 'add', a: acc('s'), b: xi } }],
    },
    { k: 'set', acc: 'mean', value: { k: 'bin', op: 'mul', a: acc('s'), b: { k: 'const', v: 1 / n } } },
    { k: 'set', acc: 'v', value: { k: 'const', v: 0 } },
    {
      k: 'loop',
      v: 'j',
      n,
      body: [
        {
          k: 'set',
          acc: 'v',
          value: { k: 'bin', op: 'add', a: acc('v'), b: { k: 'bin', op: 'mul', a: centered, b: centered } },
        },
      ],
    },
    {
      k: 'set',
      acc: 'inv',
      value: {
        k: 'un',
        op: 'recip',
        a: {
          k: 'un',
          op: 'sqrt',
          a: {
            k: 'bin',
            op: 'add',
            a: { k: 'bin', op: 'mul', a: acc('v'), b: { k: 'const', v: 1 / n } },
            b: { k: 'const', v: eps },
          },
        },
      },
    },
    { k: 'loop', v: 'j', n, body: [{ k: 'store', buf: out, at: affine(0, ['r', n], ['j', 1]), value: y }] },
  ];
  ctx.emit({
    kind: 'loops',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    body: [{ k: 'loop', v: 'r', n: outer, vector: outer >= 4, body }],
  });
}

/** BatchNormalization (inference): y = x·s[c] + t[c] with s, t folded from the statistics at compile time. */
export function lowerBatchNorm(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) =>
    constantF32(ctx, node, node.inputs[i]!, ['scale', 'B', 'mean', 'var'][i - 1]!),
  );
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const C = shape[1] ?? 1;
  const s = new Float32Array(C);
  const t = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    s[c] = scale![c]! / Math.sqrt(variance![c]! + eps);
    t[c] = bias![c]! - mean![c]! * s[c]!;
  }
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const N = shape[0]!;
  const x = ctx.buffer(node.inputs[0]!);
  const out = ctx.activation(node.outputs[0]!, N * C * inner);
  const sb = ctx.weight(`${node.name}:scale`, s);
  const tb = ctx.weight(`${node.name}:shift`, t);
  const st = strides([N, C, inner]);
  const at = affine(0, ['n', st[0]!], ['c', st[1]!], ['i', 1]);
  ctx.emit({
    kind: 'loops',
    name: 'BatchNormalization',
    nodes: [node.name],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'n',
        n: N,
        body: [
          {
            k: 'loop',
            v: 'c',
            n: C,
            body: [
              {
                k: 'loop',
                v: 'i',
                n: inner,
                vector: inner >= 4,
                body: [
                  {
                    k: 'store',
                    buf: out,
                    at,
                    value: {
                      k: 'bin',
                      op: 'add',
                      a: {
                        k: 'bin',
                        op: 'mul',
                        a: { k: 'load', buf: x, at },
                        b: { k: 'load', buf: sb, at: affine(0, ['c', 1]) },
                      },
                      b: { k: 'load', buf: tb, at: affine(0, ['c', 1]) },
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  });
}
