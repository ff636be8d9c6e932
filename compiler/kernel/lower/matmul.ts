import { attrFloat, attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Activation, type Affine, type Expr, affine } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { lowerGemm } from './gemm.js';
import { broadcastIndex, loopNest, strides } from './loops.js';

const bin = (op: 'add' | 'mul' | 'max' | 'min', a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });
const c = (v: number): Expr => ({ k: 'const', v });

/** The activation a fused consumer asked for, applied to an expression. */
function activate(e: Expr, act: Activation): Expr {
  switch (act.kind) {
    case 'none':
      return e;
    case 'relu':
      return bin('max', e, c(0));
    case 'clip':
      return bin('min', bin('max', e, c(act.min)), c(act.max));
    case 'leaky_relu':
      return { k: 'select', cmp: 'gt', a: e, b: c(0), t: e, f: bin('mul', e, c(act.alpha)) };
  }
}

/**
 * Index of a matmul operand: its batch dims broadcast against the output's `batchRank` leading loop
 * variables, then its matrix axes (`mat`: loop variable and which of the last `matRank` axes it walks).
 */
export function operandIndex(
  shape: number[],
  matRank: number,
  batchRank: number,
  vars: string[],
  mat: [string, number][],
): Affine {
  const st = strides(shape);
  const batch = shape.slice(0, shape.length - matRank);
  const lead = batchRank - batch.length;
  const terms: [string, number][] = batch.map((d, i) => [d === 1 ? '' : vars[lead + i]!, st[i]!]);
  const tail = st.slice(shape.length - matRank);
  return affine(0, ...terms.filter(([v]) => v), ...mat.map(([v, i]): [string, number] => [v, tail[i]!]));
}

/** Buffer of an operand: constants become weights, activations are read in place. */
function operand(ctx: LowerContext, node: Node, name: string, what: string): string {
  return ctx.constant(name) ? ctx.weight(name, constantF32(ctx, node, name, what)) : ctx.buffer(name);
}

/**
 * MatMul / Gemm as a loop kernel, for the forms the GEMM template does not take: B an activation
 * (attention's Q·Kᵀ and P·V), batched operands with numpy broadcasting of the batch dims, 1-D
 * operands, transA, and any broadcastable C. Transposes and broadcasting are strides of the affine
 * loads; the output's last axis is vectorised, with the k loop innermost.
 */
export function lowerMatMulLoops(
  node: Node,
  ctx: LowerContext,
  activation: Activation = { kind: 'none' },
): void {
  const [aName, bName, cName] = node.inputs;
  const out = node.outputs[0]!;
  const outShape = ctx.shape(node, out);
  const aShape = ctx.shape(node, aName!);
  const bShape = ctx.shape(node, bName!);
  const isGemm = node.op === 'Gemm';
  const transA = isGemm && attrInt(node, 'transA', 0) === 1;
  const transB = isGemm && attrInt(node, 'transB', 0) === 1;
  const alpha = isGemm ? attrFloat(node, 'alpha', 1) : 1;
  const beta = isGemm ? attrFloat(node, 'beta', 1) : 1;
  // 1-D operands: A [K] is a row (no M axis in the output), B [K] a column (no N axis).
  const aHasM = aShape.length >= 2;
  const bHasN = bShape.length >= 2;
  const K = transA ? aShape[0]! : aShape[aShape.length - 1]!;
  const rank = outShape.length;
  const batchRank = rank - (aHasM ? 1 : 0) - (bHasN ? 1 : 0);
  const a = operand(ctx, node, aName!, 'A');
  const b = operand(ctx, node, bName!, 'B');
  const dst = ctx.activation(
    out,
    outShape.reduce((p, d) => p * d, 1),
  );
  const index = (shape: number[], matRank: number, vars: string[], mat: [string, number][]) =>
    operandIndex(shape, matRank, batchRank, vars, mat);
  const cBuf = cName ? operand(ctx, node, cName, 'C') : undefined;
  const cShape = cName ? ctx.shape(node, cName) : undefined;
  const body = loopNest(outShape, 'i', (vars) => {
    const mv = aHasM ? vars[batchRank]! : '';
    const nv = bHasN ? vars[rank - 1]! : '';
    const aMat: [string, number][] = aHasM
      ? transA
        ? [
            [mv, 1],
            ['k', 0],
          ]
        : [
            [mv, 0],
            ['k', 1],
          ]
      : [['k', 0]];
    const bMat: [string, number][] = bHasN
      ? transB
        ? [
            [nv, 0],
            ['k', 1],
          ]
        : [
            ['k', 0],
            [nv, 1],
          ]
      : [['k', 0]];
    const av: Expr = {
      k: 'load',
      buf: a,
      at: index(
        aShape,
        aHasM ? 2 : 1,
        vars,
        aMat.filter(([v]) => v),
      ),
    };
    const bv: Expr = {
      k: 'load',
      buf: b,
      at: index(
        bShape,
        bHasN ? 2 : 1,
        vars,
        bMat.filter(([v]) => v),
      ),
    };
    let y: Expr = { k: 'acc', name: 's' };
    if (alpha !== 1) y = bin('mul', y, c(alpha));
    if (cBuf && beta !== 0) {
      const cv: Expr = { k: 'load', buf: cBuf, at: broadcastIndex(cShape!, outShape, vars) };
      y = bin('add', y, beta === 1 ? cv : bin('mul', cv, c(beta)));
    }
    return [
      { k: 'set', acc: 's', value: c(0) },
      {
        k: 'loop',
        v: 'k',
        n: K,
        body: [{ k: 'set', acc: 's', value: bin('add', { k: 'acc', name: 's' }, bin('mul', av, bv)) }],
      },
      { k: 'store', buf: dst, at: broadcastIndex(outShape, outShape, vars), value: activate(y, activation) },
    ];
  });
  ctx.emit({ kind: 'loops', name: node.op, nodes: [node.name], buffers: [], body });
}

/** Whether the GEMM template takes this node: constant 2-D B, no transA, a per-column constant C. */
export function gemmTemplateFits(node: Node, ctx: LowerContext): boolean {
  const [, bName, cName] = node.inputs;
  const bShape = ctx.shape(node, bName!);
  if (!ctx.constant(bName!) || bShape.length !== 2) return false;
  if (node.op === 'Gemm' && attrInt(node, 'transA', 0)) return false;
  if (!cName) return true;
  const n = node.op === 'Gemm' && attrInt(node, 'transB', 0) ? bShape[0]! : bShape[1]!;
  const cShape = ctx.shape(node, cName);
  const size = cShape.reduce((p, d) => p * d, 1);
  return !!ctx.constant(cName) && (size === 1 || (size === n && (cShape.length === 1 || cShape[0] === 1)));
}

/** MatMul / Gemm: the GEMM template where it fits, else the general loop kernel. */
export function lowerMatMul(node: Node, ctx: LowerContext, activation?: Activation): void {
  if (gemmTemplateFits(node, ctx)) lowerGemm(node, ctx, activation);
  else lowerMatMulLoops(node, ctx, activation);
}
