import { attrFloat } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import type { Expr, Stmt } from '../ir.js';
import { splitAxes } from './axes.js';
import type { LowerContext } from './context.js';
import { meanAndSquaredDeviations } from './norm.js';

const acc = (name: string): Expr => ({ k: 'acc', name });
const bin = (op: 'add' | 'sub' | 'mul', a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });
const c = (v: number): Expr => ({ k: 'const', v });

/**
 * BatchNormalization in training mode (opset 14+, training_mode=1), as the reference executor: per
 * channel the batch mean and (population) variance over N and the spatial axes normalise x, and the
 * optional outputs blend them into the running statistics: running = input·momentum +
 * batch·(1 − momentum). One kernel, one pass over the channels; scale, B, input_mean and input_var
 * may be constants or fed at run time.
 */
export function lowerBatchNormTraining(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const sp = splitAxes(
    shape,
    shape.map((_, i) => i).filter((i) => i !== 1),
  );
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const mom = attrFloat(node, 'momentum', 0.9);
  const perC = (i: number): Expr => ({
    k: 'load',
    buf: ctx.valueBuffer(node, node.inputs[i]!),
    at: sp.outAt,
  });
  const x = ctx.valueBuffer(node, node.inputs[0]!);
  const y = ctx.activation(node.outputs[0]!, sp.outer * sp.n);
  const xi: Expr = { k: 'load', buf: x, at: sp.inAt };
  const centered = bin('sub', xi, acc('mean'));
  const body: Stmt[] = [
    ...meanAndSquaredDeviations(sp, xi),
    { k: 'set', acc: 'var', value: bin('mul', acc('v'), c(1 / sp.n)) },
    {
      k: 'set',
      acc: 'k',
      value: bin('mul', perC(1), {
        k: 'un',
        op: 'recip',
        a: { k: 'un', op: 'sqrt', a: bin('add', acc('var'), c(eps)) },
      }),
    },
    ...sp.reduceLoops([
      { k: 'store', buf: y, at: sp.inAt, value: bin('add', bin('mul', centered, acc('k')), perC(2)) },
    ]),
  ];
  const running = (out: string | undefined, input: number, stat: string) => {
    if (!out) return;
    const buf = ctx.activation(out, sp.outer);
    body.push({
      k: 'store',
      buf,
      at: sp.outAt,
      value: bin('add', bin('mul', perC(input), c(mom)), bin('mul', acc(stat), c(1 - mom))),
    });
  };
  running(node.outputs[1], 3, 'mean');
  running(node.outputs[2], 4, 'var');
  // one channel per iteration of the only kept loop; the reductions walk N and the spatial axes
  ctx.emit({
    kind: 'loops',
    name: 'BatchNormalization_training',
    nodes: [node.name],
    buffers: [],
    body: [{ k: 'loop', v: 'o0', n: sp.outer, body }],
  });
}
