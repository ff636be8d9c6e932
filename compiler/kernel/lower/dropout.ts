import { KilnError } from '../../../runtime/errors.js';
import { attrFloat, attrInt, attrIntOpt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { MT19937 } from '../../reference/ops/nn/mt19937.js';
import { type Expr, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { loopNest } from './loops.js';

/** A scalar operand: a compile-time number, or a buffer read at run time (f32; bool as 0/1). */
type Scalar = { value: number } | { buf: string };

/**
 * Dropout. In inference (training_mode false or absent, opsets 7-11, or a constant ratio 0) the output
 * aliases the input (a view) and the optional mask is all ones.
 *
 * Training (training_mode true or fed at run time, ratio constant or fed at run time) draws a random
 * mask. With a `seed` attribute the draws are made at compile time by the reference executor's
 * generator (MT19937 seeded as numpy, one double per element, compiler/reference/ops/nn/mt19937.ts)
 * and stored as a weight, so the artifact reproduces exactly that mask on every run, as onnxruntime
 * does with a fixed seed; ratio and training_mode are read at run time: y = u >= ratio ? x/(1-ratio)
 * : 0 where training_mode is true, else x. Without a seed, a compiled mask would repeat a draw the
 * model never asked to repeat, so random dropout without a seed is refused.
 */
export function lowerDropout(node: Node, ctx: LowerContext): void {
  const [, ratioName, trainingName] = node.inputs;
  const opset = ctx.opset(node);
  let training: Scalar = { value: opset < 7 && attrInt(node, 'is_test', 0) === 0 ? 1 : 0 };
  let ratio: Scalar = { value: opset < 12 ? attrFloat(node, 'ratio', 0.5) : 0.5 };
  if (opset >= 12) {
    if (trainingName) training = scalar(ctx, trainingName);
    if (ratioName) ratio = scalar(ctx, ratioName);
  }
  if ('value' in ratio && !(ratio.value >= 0 && ratio.value < 1))
    throw new KilnError(`ratio is ${ratio.value}`, {
      node: node.name,
      op: node.op,
      expected: '0 <= ratio < 1',
    });
  const inference = ('value' in training && training.value === 0) || ('value' in ratio && ratio.value === 0);
  if (inference) {
    lowerInference(node, ctx);
    return;
  }
  const seed = attrIntOpt(node, 'seed');
  if (seed === undefined)
    throw new KilnError(
      `training_mode ('${trainingName ?? 'is_test=0'}') is ${'value' in training ? 'true' : 'fed at run time'} with ratio ${'value' in ratio ? ratio.value : 'fed at run time'} and no seed attribute`,
      {
        node: node.name,
        op: node.op,
        expected:
          'inference (training_mode false or a constant ratio 0), or a seed attribute: the compiled mask is drawn at compile time and repeats on every run',
      },
    );
  lowerTraining(node, ctx, training, ratio, seed);
}

function scalar(ctx: LowerContext, value: string): Scalar {
  const t = ctx.constant(value);
  return t ? { value: Number(t.data[0]) } : { buf: ctx.buffer(value) };
}

const load = (s: Scalar): Expr =>
  'value' in s ? { k: 'const', v: s.value } : { k: 'load', buf: s.buf, at: affine(0) };

function lowerInference(node: Node, ctx: LowerContext): void {
  ctx.alias(node.outputs[0]!, node.inputs[0]!);
  const mask = node.outputs[1];
  if (!mask) return;
  const n = ctx.shape(node, mask).reduce((a, b) => a * b, 1);
  const out = ctx.activation(mask, n);
  ctx.emit({
    kind: 'loops',
    name: 'dropout_mask',
    nodes: [node.name],
    buffers: [],
    body: loopNest(
      [n],
      'm',
      ([m]) => [{ k: 'store', buf: out, at: affine(0, [m!, 1]), value: { k: 'const', v: 1 } }],
      false,
    ),
  });
}

function lowerTraining(node: Node, ctx: LowerContext, training: Scalar, ratio: Scalar, seed: number): void {
  const n = ctx.shape(node, node.inputs[0]!).reduce((a, b) => a * b, 1);
  const gen = new MT19937(seed);
  const draws = new Float32Array(n);
  for (let i = 0; i < n; i++) draws[i] = floorF32(gen.nextDouble());
  const u = ctx.weight(`${node.name}:uniform`, draws);
  const x = ctx.valueBuffer(node, node.inputs[0]!);
  const y = ctx.activation(node.outputs[0]!, n);
  const mask = node.outputs[1] ? ctx.activation(node.outputs[1], n) : undefined;
  const r = load(ratio);
  const t = load(training);
  const c = (v: number): Expr => ({ k: 'const', v });
  // where training: kept (u >= ratio) ? a : b, else `inference`
  const pick = (kept: Expr, dropped: Expr, inference: Expr): Expr => ({
    k: 'select',
    cmp: 'eq',
    a: t,
    b: c(0),
    t: inference,
    f: {
      k: 'select',
      cmp: 'ge',
      a: { k: 'load', buf: u, at: affine(0, ['i', 1]) },
      b: r,
      t: kept,
      f: dropped,
    },
  });
  const xi: Expr = { k: 'load', buf: x, at: affine(0, ['i', 1]) };
  const scaled: Expr = { k: 'bin', op: 'div', a: xi, b: { k: 'bin', op: 'sub', a: c(1), b: r } };
  ctx.emit({
    kind: 'loops',
    name: 'dropout_train',
    nodes: [node.name],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'i',
        n,
        body: [
          { k: 'store', buf: y, at: affine(0, ['i', 1]), value: pick(scaled, c(0), xi) },
          ...(mask
            ? [{ k: 'store' as const, buf: mask, at: affine(0, ['i', 1]), value: pick(c(1), c(0), c(1)) }]
            : []),
        ],
      },
    ],
  });
}

/**
 * The largest float32 not above `u` (u >= 0). For a float32 ratio r, u >= r exactly when
 * floorF32(u) >= r, so the float32 weight decides as the reference's float64 draw does.
 */
function floorF32(u: number): number {
  const f = Math.fround(u);
  if (f <= u) return f;
  const bits = new Uint32Array(Float32Array.of(f).buffer);
  bits[0]! -= 1;
  return new Float32Array(bits.buffer)[0]!;
}
