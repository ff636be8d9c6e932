/** If (opset 1-22): runs then_branch or else_branch; the branch sees the enclosing scopes' values. */
import { attrGraph } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import { Tensor } from '../../../../runtime/tensor.js';
import type { OpDef } from '../../op.js';
import { opError } from '../common.js';
import { mergeTypes } from './subgraph-types.js';

/** The truth of a one-element condition tensor (If, Loop). */
export function truthOf(node: Node, cond: unknown, what: string): boolean {
  if (!(cond instanceof Tensor)) throw opError(node, `${what} is not a tensor`, 'a bool tensor');
  if (cond.size !== 1) throw opError(node, `${what} has ${cond.size} elements`, 'a single bool');
  if (cond.dtype === 'string') throw opError(node, `${what} is a string tensor`, 'a bool tensor');
  return Number(cond.data[0]) !== 0;
}

export const ifOp: OpDef = {
  op: 'If',
  versions: [1, 22],
  runValues: (inputs, ctx) => {
    const { node } = ctx;
    const branch = truthOf(node, inputs[0], 'cond') ? 'then_branch' : 'else_branch';
    const body = attrGraph(node, branch);
    const outs = ctx.runSubgraph(body, new Map());
    if (outs.length !== node.outputs.length) {
      throw opError(
        node,
        `${branch} has ${outs.length} outputs but the node has ${node.outputs.length}`,
        'equal counts',
      );
    }
    return outs;
  },
  infer: (ctx) => {
    const { node } = ctx;
    // a known condition: only the branch that runs is inferred. The other may not even type-check at
    // these shapes (silero-vad's 8 kHz branch squeezes an axis that is 1 only for 256-sample chunks),
    // and onnxruntime never looks at it either.
    const cond = ctx.constants[0];
    if (cond && cond.size === 1)
      return ctx.inferSubgraph(
        attrGraph(node, Number(cond.data[0]) !== 0 ? 'then_branch' : 'else_branch'),
        [],
      );
    const thenTypes = ctx.inferSubgraph(attrGraph(node, 'then_branch'), []);
    const elseTypes = ctx.inferSubgraph(attrGraph(node, 'else_branch'), []);
    return node.outputs.map((_, i) => mergeTypes(ctx, thenTypes[i], elseTypes[i], `output ${i}`));
  },
};
