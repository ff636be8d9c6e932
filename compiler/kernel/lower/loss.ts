import { KilnError } from '../../../runtime/errors.js';
import { attrIntOpt, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, affine, computeType } from '../ir.js';
import type { LowerContext } from './context.js';
import { softmaxOver } from './reduce.js';

/**
 * NegativeLogLikelihoodLoss, and SoftmaxCrossEntropyLoss as LogSoftmax over axis 1 followed by it.
 * Each element's loss is -input[n, t, d] · weight[t] with t = target[n, d] read at run time (a
 * run-time index term); targets equal to ignore_index count nothing (the index is replaced by 0 so
 * nothing outside the tensor is read), and 'mean' divides by the summed weights of counted elements.
 * Targets outside 0..C-1 are not checked at run time (the reference refuses them).
 */
export function lowerNllLoss(node: Node, ctx: LowerContext): void {
  nll(node, ctx, ctx.buffer(node.inputs[0]!));
}

export function lowerSoftmaxCrossEntropy(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const size = shape.reduce((a, b) => a * b, 1);
  const lp = node.outputs[1]
    ? ctx.activation(node.outputs[1], size)
    : ctx.temp(`${node.name}:log_prob`, size, ctx.elemType(node, node.inputs[0]!));
  softmaxOver({ ...node, op: 'LogSoftmax' }, ctx, [1], lp);
  nll(node, ctx, lp);
}

function nll(node: Node, ctx: LowerContext, logp: string): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  if (shape.length < 2)
    throw new KilnError(`input has rank ${shape.length}`, {
      node: node.name,
      op: node.op,
      expected: 'rank >= 2',
    });
  const [N, C] = shape as [number, number];
  const D = shape.slice(2).reduce((a, b) => a * b, 1);
  const reduction = attrString(node, 'reduction', 'mean');
  const ignore = attrIntOpt(node, 'ignore_index');
  const target: Expr = { k: 'load', buf: ctx.buffer(node.inputs[1]!), at: affine(0, ['n', D], ['d', 1]) };
  const c = (v: number): Expr => ({ k: 'const', v });
  const ignored = (t: Expr, f: Expr): Expr =>
    ignore === undefined ? f : { k: 'select', cmp: 'eq', a: target, b: c(ignore), t, f };
  const cls = ignored(c(0), target);
  const x: Expr = {
    k: 'load',
    buf: logp,
    at: { ...affine(0, ['n', C * D], ['d', 1]), dyn: [{ e: cls, c: D }] },
  };
  const w: Expr = node.inputs[2]
    ? {
        k: 'load',
        buf: ctx.constant(node.inputs[2])
          ? ctx.constantBuffer(node, node.inputs[2])
          : ctx.buffer(node.inputs[2]),
        at: { ...affine(0), dyn: [{ e: cls, c: 1 }] },
      }
    : c(1);
  const wc = ignored(c(0), w);
  const loss: Expr = { k: 'bin', op: 'mul', a: { k: 'un', op: 'neg', a: x }, b: wc };
  const out = ctx.activation(node.outputs[0]!, reduction === 'none' ? N * D : 1);
  const loops = (body: Stmt[]): Stmt[] => [
    { k: 'loop', v: 'n', n: N, body: [{ k: 'loop', v: 'd', n: D, body }] },
  ];
  const acc = (name: string): Expr => ({ k: 'acc', name });
  const add = (name: string, v: Expr): Stmt => ({
    k: 'set',
    acc: name,
    value: { k: 'bin', op: 'add', a: acc(name), b: v },
  });
  let body: Stmt[];
  if (reduction === 'none')
    body = loops([{ k: 'store', buf: out, at: affine(0, ['n', D], ['d', 1]), value: loss }]);
  else if (reduction === 'sum' || reduction === 'mean') {
    const t = computeType(ctx.elemType(node, node.inputs[0]!));
    const zero = (name: string): Stmt => ({ k: 'set', acc: name, value: { k: 'const', v: 0, t } });
    body = [zero('s'), zero('ws'), ...loops([add('s', loss), add('ws', wc)])];
    const value: Expr = reduction === 'sum' ? acc('s') : { k: 'bin', op: 'div', a: acc('s'), b: acc('ws') };
    body.push({ k: 'store', buf: out, at: affine(0), value });
  } else
    throw new KilnError(`reduction '${reduction}'`, {
      node: node.name,
      op: node.op,
      expected: 'none, sum or mean',
    });
  ctx.emit({ kind: 'loops', name: node.op, nodes: [node.name], buffers: [], body });
}
