import type { Model, Node } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import { isFloatDType } from '../../runtime/dtype.js';
import type { PassResult } from './pass.js';
import { KILN_DOMAIN, importKilnDomain } from './pass.js';
import { consumers, graphOutputNames, producers, removeNode, replaceNode } from './graph-utils.js';

/**
 * Folds a residual Add into the convolution producing one of its operands: Conv(x) + z becomes
 * kiln.FusedConv(x, W, B, z) when z has exactly the conv output's (static) shape, so the later
 * activation fusion gives one Conv+Add+Relu node, as in ResNet and MobileNet blocks. The fused node
 * takes the Add's place (z may be computed after the conv). `changed`: Adds folded.
 */
export function fuseResidualAdds(model: Model): PassResult {
  const g = model.graph;
  const { types } = inferShapes(model);
  let changed = 0;
  for (const add of [...g.nodes]) {
    if (add.op !== 'Add' || add.domain !== '' || add.inputs.length !== 2) continue;
    const out = types.get(add.outputs[0]!);
    const shape = out?.shape;
    if (!out || !isFloatDType(out.dtype) || !shape?.every((d) => typeof d === 'number')) continue;
    for (const side of [0, 1]) {
      const y = add.inputs[side]!;
      const z = add.inputs[1 - side]!;
      const conv = producers(g).get(y);
      const sameShape = (v: string) =>
        types.get(v)?.shape?.join() === shape.join() && types.get(v)?.dtype === out.dtype;
      if (!conv || !isConvWithoutSum(conv) || y === z || !sameShape(y) || !sameShape(z)) continue;
      if (graphOutputNames(g).has(y) || (consumers(g).get(y) ?? []).length !== 1) continue;
      const inputs = [...conv.inputs];
      while (inputs.length < 3) inputs.push('');
      const fused: Node = {
        ...conv,
        op: 'FusedConv',
        domain: KILN_DOMAIN,
        inputs: [...inputs, z],
        outputs: [add.outputs[0]!],
        attrs: { ...conv.attrs, activation: { type: 'string', value: 'none' } },
      };
      replaceNode(g, add, fused);
      removeNode(g, conv);
      g.valueInfo.delete(y);
      importKilnDomain(model);
      changed++;
      break;
    }
  }
  return { changed };
}

/** A Conv, or a kiln.FusedConv that has neither an activation nor a residual yet. */
function isConvWithoutSum(n: Node): boolean {
  if (n.domain === '' && n.op === 'Conv') return true;
  const a = n.attrs.activation;
  return (
    n.domain === KILN_DOMAIN &&
    n.op === 'FusedConv' &&
    !n.inputs[3] &&
    (!a || (a.type === 'string' && a.value === 'none'))
  );
}
