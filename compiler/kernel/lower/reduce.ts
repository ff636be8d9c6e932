import { KilnError } from '../../../runtime/errors.js';
import { attrFloat, attrInt, attrIntsOpt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, affine, computeType } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { splitAxes } from './axes.js';
import { lowerBatchNormTraining } from './batchnorm-training.js';
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

/** The reduced axes, or undefined for "no reduction" (noop_with_empty_axes with no axes). */
function reduceAxes(node: Node, ctx: LowerContext, rank: number): number[] | undefined {
  if (node.op === 'GlobalAveragePool' || node.op === 'GlobalMaxPool')
    return Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const fromInput = node.inputs[1] ? Array.from(constantF32(ctx, node, node.inputs[1], 'axes')) : undefined;
  const axes = fromInput ?? attrIntsOpt(node, 'axes');
  if (axes && axes.length) return axes;
  return attrInt(node, 'noop_with_empty_axes', 0) ? undefined : Array.from({ length: rank }, (_, i) => i);
}

const un = (op: Extract<Expr, { k: 'un' }>['op'], a: Expr): Expr => ({ k: 'un', op, a });
const bin = (op: Extract<Expr, { k: 'bin' }>['op'], a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });
const c = (v: number): Expr => ({ k: 'const', v });

/**
 * Each reduction as init ⊕ pre(x) folded with `combine`, then `post(acc)`; `n` is the reduced count.
 * ReduceLogSumExp subtracts the running max first (see lowerReduce) so exp cannot overflow.
 */
const REDUCERS: Record<
  string,
  {
    init: number;
    combine: 'add' | 'mul' | 'max' | 'min';
    pre?: (x: Expr) => Expr;
    post?: (s: Expr, n: number) => Expr;
  }
> = {
  ReduceSum: { init: 0, combine: 'add' },
  ReduceMean: { init: 0, combine: 'add', post: (s, n) => bin('mul', s, c(1 / n)) },
  GlobalAveragePool: { init: 0, combine: 'add', post: (s, n) => bin('mul', s, c(1 / n)) },
  ReduceMax: { init: -Infinity, combine: 'max' },
  GlobalMaxPool: { init: -Infinity, combine: 'max' },
  ReduceMin: { init: Infinity, combine: 'min' },
  ReduceProd: { init: 1, combine: 'mul' },
  ReduceL1: { init: 0, combine: 'add', pre: (x) => un('abs', x) },
  ReduceL2: { init: 0, combine: 'add', pre: (x) => bin('mul', x, x), post: (s) => un('sqrt', s) },
  ReduceSumSquare: { init: 0, combine: 'add', pre: (x) => bin('mul', x, x) },
  ReduceLogSum: { init: 0, combine: 'add', post: (s) => un('log', s) },
  ReduceLogSumExp: { init: 0, combine: 'add', pre: (x) => un('exp', x), post: (s) => un('log', s) },
};

/** Ops lowerReduce handles. */
export const REDUCE_OPS = Object.keys(REDUCERS);

/**
 * Reductions over any axes (keepdims does not change the layout) and the global pools: one
 * accumulator per output element, the innermost kept axis vectorised.
 */
export function lowerReduce(node: Node, ctx: LowerContext): void {
  const spec = REDUCERS[node.op];
  if (!spec) throw new KilnError(`op ${node.op} is not lowered`, { node: node.name, op: node.op });
  const x = ctx.buffer(node.inputs[0]!);
  const shape = ctx.shape(node, node.inputs[0]!);
  const axes = reduceAxes(node, ctx, shape.length);
  const sp = splitAxes(shape, axes ?? []);
  const out = ctx.activation(node.outputs[0]!, sp.outer);
  const xi: Expr = { k: 'load', buf: x, at: sp.inAt };
  // accumulators start from constants of the input's compute type (float64 reductions too)
  const t = computeType(ctx.elemType(node, node.inputs[0]!));
  const init = (v: number): Expr => ({ k: 'const', v, t });
  const body: Stmt[] = [];
  let result: Expr;
  if (!axes) {
    result = xi; // noop_with_empty_axes: a copy
  } else if (node.op === 'ReduceLogSumExp') {
    // log Σ exp(x) = m + log Σ exp(x - m), m = max x (0 for an empty reduction)
    body.push({ k: 'set', acc: 'm', value: init(-Infinity) });
    body.push(...sp.reduceLoops([{ k: 'set', acc: 'm', value: bin('max', acc('m'), xi) }]));
    if (sp.n === 0) body.push({ k: 'set', acc: 'm', value: init(0) });
    body.push({ k: 'set', acc: 's', value: init(0) });
    body.push(
      ...sp.reduceLoops([
        { k: 'set', acc: 's', value: bin('add', acc('s'), un('exp', bin('sub', xi, acc('m')))) },
      ]),
    );
    result = bin('add', acc('m'), un('log', acc('s')));
  } else {
    body.push({ k: 'set', acc: 's', value: init(spec.init) });
    const v = spec.pre ? spec.pre(xi) : xi;
    body.push(...sp.reduceLoops([{ k: 'set', acc: 's', value: bin(spec.combine, acc('s'), v) }]));
    result = spec.post ? spec.post(acc('s'), sp.n) : acc('s');
  }
  body.push({ k: 'store', buf: out, at: sp.outAt, value: result });
  ctx.emit({ kind: 'loops', name: node.op, nodes: [node.name], buffers: [], body: sp.keptLoops(body) });
}

/** Softmax / LogSoftmax / Hardmax over one axis (opset ≥ 13) or the trailing axes from `axis` (before). */
export function lowerSoftmax(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const rank = shape.length;
  const axis = attrInt(node, 'axis', ctx.opset(node) >= 13 ? -1 : 1);
  const a = axis < 0 ? axis + rank : axis;
  // Before opset 13 the input is coerced to 2-D at `axis`: the trailing axes from it are reduced.
  const axes = ctx.opset(node) >= 13 ? [a] : Array.from({ length: rank - a }, (_, i) => a + i);
  const out = ctx.activation(
    node.outputs[0]!,
    shape.reduce((p, d) => p * d, 1),
  );
  softmaxOver(node, ctx, axes, out);
}

/** Softmax, LogSoftmax or Hardmax (node.op) of node.inputs[0] over `axes`, into buffer `out`. */
export function softmaxOver(node: Node, ctx: LowerContext, axes: number[], out: string): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const sp = splitAxes(shape, axes);
  const x = ctx.buffer(node.inputs[0]!);
  const xi: Expr = { k: 'load', buf: x, at: sp.inAt };
  const body: Stmt[] = [
    { k: 'set', acc: 'm', value: c(-Infinity) },
    ...sp.reduceLoops([{ k: 'set', acc: 'm', value: bin('max', acc('m'), xi) }]),
  ];
  let value: Expr;
  if (node.op === 'Hardmax') {
    // 1 at the first maximum only: `seen` turns 1 once the maximum has been written.
    body.push({ k: 'set', acc: 'seen', value: c(0) });
    const hit: Expr = {
      k: 'select',
      cmp: 'eq',
      a: xi,
      b: acc('m'),
      t: { k: 'select', cmp: 'eq', a: acc('seen'), b: c(0), t: c(1), f: c(0) },
      f: c(0),
    };
    body.push(
      ...sp.reduceLoops([
        { k: 'set', acc: 'h', value: hit },
        { k: 'store', buf: out, at: sp.inAt, value: acc('h') },
        { k: 'set', acc: 'seen', value: bin('max', acc('seen'), acc('h')) },
      ]),
    );
    ctx.emit({ kind: 'loops', name: node.op, nodes: [node.name], buffers: [], body: sp.keptLoops(body) });
    return;
  }
  const shifted = bin('sub', xi, acc('m'));
  body.push({ k: 'set', acc: 's', value: c(0) });
  body.push(...sp.reduceLoops([{ k: 'set', acc: 's', value: bin('add', acc('s'), un('exp', shifted)) }]));
  if (node.op === 'LogSoftmax') value = bin('sub', shifted, un('log', acc('s')));
  else {
    body.push({ k: 'set', acc: 'inv', value: un('recip', acc('s')) });
    value = bin('mul', un('exp', shifted), acc('inv'));
  }
  body.push(...sp.reduceLoops([{ k: 'store', buf: out, at: sp.inAt, value }]));
  ctx.emit({ kind: 'loops', name: node.op, nodes: [node.name], buffers: [], body: sp.keptLoops(body) });
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
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const x = ctx.buffer(node.inputs[0]!);
  // Scale and bias cover the normalised block (n elements) or are scalars; constants become weights.
  const param = (i: number, what: string): Expr | undefined => {
    const name = node.inputs[i];
    if (!name) return undefined;
    const size = ctx.shape(node, name).reduce((p, d) => p * d, 1);
    if (size !== n && size !== 1)
      throw new KilnError(`${what} has ${size} elements`, {
        node: node.name,
        op: node.op,
        expected: `${n} (the normalised block) or 1 on the wasm target`,
      });
    const buf = ctx.constant(name) ? ctx.weight(name, constantF32(ctx, node, name, what)) : ctx.buffer(name);
    return { k: 'load', buf, at: size === 1 ? affine(0) : affine(0, ['j', 1]) };
  };
  const gammaAt = param(1, 'Scale')!;
  const betaAt = param(2, 'B');
  // Optional outputs Mean and InvStdDev: one value per normalised row.
  const stats = [1, 2].map((i) => (node.outputs[i] ? ctx.activation(node.outputs[i], outer) : undefined));
  const out = ctx.activation(node.outputs[0]!, outer * n);
  const xi: Expr = { k: 'load', buf: x, at: affine(0, ['r', n], ['j', 1]) };
  const centered: Expr = { k: 'bin', op: 'sub', a: xi, b: acc('mean') };
  let y: Expr = {
    k: 'bin',
    op: 'mul',
    a: { k: 'bin', op: 'mul', a: centered, b: acc('inv') },
    b: gammaAt,
  };
  if (betaAt) y = { k: 'bin', op: 'add', a: y, b: betaAt };
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
  if (stats[0]) body.push({ k: 'store', buf: stats[0], at: affine(0, ['r', 1]), value: acc('mean') });
  if (stats[1]) body.push({ k: 'store', buf: stats[1], at: affine(0, ['r', 1]), value: acc('inv') });
  ctx.emit({
    kind: 'loops',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    body: [{ k: 'loop', v: 'r', n: outer, vector: outer >= 4, body }],
  });
}

/** The per-channel scale s = γ/√(var+ε) and shift t = β − mean·s: folded when constant, else a kernel. */
function batchNormAffine(node: Node, ctx: LowerContext, C: number): { sb: string; tb: string } {
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const names = [1, 2, 3, 4].map((i) => node.inputs[i]!);
  if (names.every((v) => ctx.constant(v))) {
    const [scale, bias, mean, variance] = names.map((v, i) =>
      constantF32(ctx, node, v, ['scale', 'B', 'mean', 'var'][i]!),
    );
    const s = new Float32Array(C);
    const t = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      s[c] = scale![c]! / Math.sqrt(variance![c]! + eps);
      t[c] = bias![c]! - mean![c]! * s[c]!;
    }
    return { sb: ctx.weight(`${node.name}:scale`, s), tb: ctx.weight(`${node.name}:shift`, t) };
  }
  const [scale, bias, mean, variance] = names.map((v, i) =>
    ctx.constant(v)
      ? ctx.weight(v, constantF32(ctx, node, v, ['scale', 'B', 'mean', 'var'][i]!))
      : ctx.buffer(v),
  );
  const ld = (buf: string): Expr => ({ k: 'load', buf, at: affine(0, ['c', 1]) });
  const sb = ctx.temp(`${node.name}:scale`, C);
  const tb = ctx.temp(`${node.name}:shift`, C);
  ctx.emit({
    kind: 'loops',
    name: 'BatchNormalization_stats',
    nodes: [node.name],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'c',
        n: C,
        vector: C >= 4,
        body: [
          {
            k: 'store',
            buf: sb,
            at: affine(0, ['c', 1]),
            value: bin('div', ld(scale!), un('sqrt', bin('add', ld(variance!), c(eps)))),
          },
          {
            k: 'store',
            buf: tb,
            at: affine(0, ['c', 1]),
            value: bin(
              'sub',
              ld(bias!),
              bin('mul', ld(mean!), { k: 'load', buf: sb, at: affine(0, ['c', 1]) }),
            ),
          },
        ],
      },
    ],
  });
  return { sb, tb };
}

/** BatchNormalization (inference): y = x·s[c] + t[c]; training mode in batchnorm-training.ts. */
export function lowerBatchNorm(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  if (ctx.opset(node) >= 14 && attrInt(node, 'training_mode', 0)) {
    lowerBatchNormTraining(node, ctx);
    return;
  }
  if (node.outputs.slice(1).some(Boolean))
    throw new KilnError('BatchNormalization outputs running statistics outside training mode', {
      node: node.name,
      op: node.op,
      expected: 'one output, or training_mode=1 (opset 14+)',
    });
  const C = shape[1] ?? 1;
  const { sb, tb } = batchNormAffine(node, ctx, C);
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const N = shape[0]!;
  const x = ctx.buffer(node.inputs[0]!);
  const out = ctx.activation(node.outputs[0]!, N * C * inner);
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
