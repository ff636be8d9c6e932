import { KilnError } from '../../../runtime/errors.js';
import type { Node } from '../../ir/graph.js';
import { affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { loopNest } from './loops.js';

/**
 * Dropout as inference does it: the output aliases the input (a view) and the optional mask is all
 * ones. From opset 12 ratio and training_mode are inputs: a training_mode fed at run time (or true)
 * is accepted only when the ratio is a constant 0, where training changes nothing; random dropping
 * is refused at compile time.
 */
export function lowerDropout(node: Node, ctx: LowerContext): void {
  const [xName, ratioName, trainingName] = node.inputs;
  if (ctx.opset(node) >= 12 && trainingName) {
    const t = ctx.constant(trainingName);
    const training = !t || Number(t.data[0]) !== 0;
    const r = ratioName ? ctx.constant(ratioName) : undefined;
    const ratio = !ratioName ? 0.5 : r ? Number(r.data[0]) : undefined;
    if (training && ratio !== 0)
      throw new KilnError(
        `training_mode ('${trainingName}') is ${t ? 'true' : 'fed at run time'} with ratio ${ratio ?? 'fed at run time'}`,
        {
          node: node.name,
          op: node.op,
          expected: 'inference (training_mode false or a constant ratio 0): random dropout is not compiled',
        },
      );
  }
  ctx.alias(node.outputs[0]!, xName!);
  const mask = node.outputs[1];
  if (!mask) return;
  const shape = ctx.shape(node, mask);
  const out = ctx.activation(
    mask,
    shape.reduce((a, b) => a * b, 1),
  );
  ctx.emit({
    kind: 'loops',
    name: 'dropout_mask',
    nodes: [node.name],
    buffers: [],
    body: loopNest(
      [shape.reduce((a, b) => a * b, 1)],
      'm',
      ([m]) => [{ k: 'store', buf: out, at: affine(0, [m!, 1]), value: { k: 'const', v: 1 } }],
      false,
    ),
  });
}
