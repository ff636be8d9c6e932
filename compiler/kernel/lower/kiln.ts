import { KilnError } from '../../../runtime/errors.js';
import { attrFloats, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { activationExpr } from '../../passes/activations.js';
import type { Expr as PassExpr } from '../../passes/elementwise-expr.js';
import type { Activation, Expr } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { lowerConv } from './conv.js';
import { lowerMatMul } from './matmul.js';
import { broadcastIndex, loopNest } from './loops.js';
import { lowerLayerNorm } from './reduce.js';

const c = (v: number): Expr => ({ k: 'const', v });

/**
 * The passes' elementwise expression (compiler/passes/elementwise-expr.ts) as a kernel expression;
 * `leaf(i)` reads input i. One definition of each fused computation serves the reference op and
 * every target.
 */
export function kernelExpr(node: Node, e: PassExpr, leaf: (i: number) => Expr): Expr {
  const rec = (x: PassExpr) => kernelExpr(node, x, leaf);
  switch (e.kind) {
    case 'input':
      return leaf(e.index);
    case 'const':
      return c(e.value);
    case 'unary': {
      const a = rec(e.arg);
      if (e.op === 'relu') return { k: 'bin', op: 'max', a, b: c(0) };
      return { k: 'un', op: e.op === 'reciprocal' ? 'recip' : e.op, a };
    }
    case 'binary': {
      if (e.op !== 'pow') return { k: 'bin', op: e.op, a: rec(e.lhs), b: rec(e.rhs) };
      if (e.rhs.kind !== 'const') {
        throw new KilnError('pow with a non-constant exponent is not lowered for the wasm target', {
          node: node.name,
          op: node.op,
        });
      }
      const base = rec(e.lhs);
      const p = e.rhs.value;
      if (Number.isInteger(p) && Math.abs(p) <= 8) {
        if (p === 0) return c(1);
        let r: Expr = base;
        for (let i = 1; i < Math.abs(p); i++) r = { k: 'bin', op: 'mul', a: r, b: base };
        return p < 0 ? { k: 'un', op: 'recip', a: r } : r;
      }
      if (p === 0.5) return { k: 'un', op: 'sqrt', a: base };
      throw new KilnError(`pow with exponent ${p} is not lowered for the wasm target`, {
        node: node.name,
        op: node.op,
      });
    }
    case 'clip':
      return { k: 'bin', op: 'min', a: { k: 'bin', op: 'max', a: rec(e.arg), b: c(e.min) }, b: c(e.max) };
    case 'leaky_relu': {
      const x = rec(e.arg);
      return { k: 'select', cmp: 'gt', a: x, b: c(0), t: x, f: { k: 'bin', op: 'mul', a: x, b: c(e.alpha) } };
    }
    case 'hard_sigmoid': {
      const lin: Expr = {
        k: 'bin',
        op: 'add',
        a: { k: 'bin', op: 'mul', a: rec(e.arg), b: c(e.alpha) },
        b: c(e.beta),
      };
      return { k: 'bin', op: 'max', a: c(0), b: { k: 'bin', op: 'min', a: c(1), b: lin } };
    }
  }
}

/** One loop kernel computing `expr` over `outShape` from broadcast inputs into the node's output. */
function emitElementwise(node: Node, ctx: LowerContext, inputs: string[], expr: PassExpr, out: string): void {
  const outShape = ctx.shape(node, out);
  const reads = inputs.map((name, i) => {
    const shape = ctx.shape(node, name);
    const buf = ctx.constant(name)
      ? ctx.weight(name, constantF32(ctx, node, name, `input ${i}`))
      : ctx.buffer(name);
    return { buf, shape };
  });
  const dst = ctx.activation(
    out,
    outShape.reduce((a, b) => a * b, 1),
  );
  ctx.emit({
    kind: 'loops',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    body: loopNest(outShape, 'i', (vars) => [
      {
        k: 'store',
        buf: dst,
        at: broadcastIndex(outShape, outShape, vars),
        value: kernelExpr(node, expr, (i) => {
          const r = reads[i];
          if (!r)
            throw new KilnError(`expression reads input ${i}, the node has ${inputs.length}`, {
              node: node.name,
              op: node.op,
            });
          return { k: 'load', buf: r.buf, at: broadcastIndex(r.shape, outShape, vars) };
        }),
      },
    ]),
  });
}

/** Activations the conv/GEMM templates apply in their epilogue; the others run as a second kernel. */
function epilogue(kind: string, params: number[]): Activation | undefined {
  if (kind === 'none') return { kind: 'none' };
  if (kind === 'relu') return { kind: 'relu' };
  if (kind === 'clip') return { kind: 'clip', min: params[0]!, max: params[1]! };
  if (kind === 'leaky_relu') return { kind: 'leaky_relu', alpha: params[0]! };
  return undefined;
}

/** kiln-domain ops made by the graph passes. */
export function lowerKilnOp(node: Node, ctx: LowerContext): void {
  switch (node.op) {
    case 'Elementwise': {
      const expr = JSON.parse(attrString(node, 'expression')) as PassExpr;
      emitElementwise(node, ctx, node.inputs, expr, node.outputs[0]!);
      return;
    }
    case 'Gelu': {
      const approx = attrString(node, 'approximate', 'none');
      emitElementwise(
        node,
        ctx,
        [node.inputs[0]!],
        activationExpr(approx === 'tanh' ? 'gelu_tanh' : 'gelu'),
        node.outputs[0]!,
      );
      return;
    }
    case 'LayerNormalization':
      lowerLayerNorm(node, ctx);
      return;
    case 'FusedConv':
    case 'FusedGemm':
    case 'FusedMatMul': {
      const kind = attrString(node, 'activation', 'none');
      const params = attrFloats(node, 'activation_params', []);
      const baseOp = node.op.slice('Fused'.length);
      const extra = node.op === 'FusedConv' ? node.inputs[3] : undefined; // residual Z
      const baseInputs = node.op === 'FusedConv' ? node.inputs.slice(0, 3) : node.inputs;
      const base: Node = { ...node, op: baseOp, domain: '', inputs: baseInputs.filter((x, i) => x || i < 2) };
      const fused = extra ? undefined : epilogue(kind, params);
      const lower = baseOp === 'Conv' ? lowerConv : lowerMatMul;
      if (fused) {
        lower(base, ctx, fused);
        return;
      }
      // Template first, then one in-place elementwise kernel for the residual and/or activation.
      lower(base, ctx);
      const out = node.outputs[0]!;
      const act = activationExpr(kind, params);
      const expr: PassExpr = extra
        ? substitute(act, {
            kind: 'binary',
            op: 'add',
            lhs: { kind: 'input', index: 0 },
            rhs: { kind: 'input', index: 1 },
          })
        : act;
      emitElementwise(node, ctx, extra ? [out, extra] : [out], expr, out);
      return;
    }
    default:
      throw new KilnError(`op kiln.${node.op} cannot be lowered for the wasm target`, {
        node: node.name,
        op: node.op,
      });
  }
}

/** The activation's input 0 replaced by `x`. */
function substitute(e: PassExpr, x: PassExpr): PassExpr {
  switch (e.kind) {
    case 'input':
      return e.index === 0 ? x : e;
    case 'const':
      return e;
    case 'unary':
      return { ...e, arg: substitute(e.arg, x) };
    case 'binary':
      return { ...e, lhs: substitute(e.lhs, x), rhs: substitute(e.rhs, x) };
    default:
      return { ...e, arg: substitute(e.arg, x) };
  }
}
