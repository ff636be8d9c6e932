import { KilnError } from '../../../runtime/errors.js';
import type { Tensor } from '../../../runtime/tensor.js';
import type { Node } from '../../ir/graph.js';
import { findOp } from '../../reference/registry.js';
import type { LowerContext } from './context.js';

/**
 * MelWeightMatrix whose operands are all known at compile time (constants or bound inputs; every
 * operand is a shape operand, so checkShapeInputs has refused any fed at run time) but which constant
 * folding left because the matrix is large: the reference executor computes it here and it becomes a
 * weight the output aliases, as an initializer would.
 */
export function lowerMelWeightMatrix(node: Node, ctx: LowerContext): void {
  const inputs = node.inputs.map((v) => (v ? ctx.constant(v) : undefined));
  const missing = node.inputs.find((v, i) => v && !inputs[i]);
  if (missing)
    throw new KilnError(`'${missing}' must be known at compile time`, {
      node: node.name,
      op: node.op,
      expected: 'constant or bound operands (the matrix is computed at compile time)',
    });
  const run = findOp('', 'MelWeightMatrix')!.run!;
  const [matrix] = run(inputs as (Tensor | undefined)[], {
    node,
    opset: ctx.opset(node),
    runSubgraph: () => {
      throw new KilnError('MelWeightMatrix has no subgraph');
    },
  });
  const out = node.outputs[0]!;
  ctx.constants.set(out, matrix!);
  ctx.alias(out, ctx.constantBuffer(node, out));
}
