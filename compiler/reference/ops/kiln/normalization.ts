/**
 * kiln.Gelu and kiln.LayerNormalization: what the pattern passes turn decomposed GELU/LayerNorm
 * into when the model's opset predates ONNX Gelu (20) or LayerNormalization (17). Semantics are
 * those of the ONNX ops (Gelu's `approximate` is 'none' or 'tanh').
 */
import { KilnError } from '../../../../runtime/errors.js';
import { attrString } from '../../../ir/attrs.js';
import { activationExpr } from '../../../passes/activations.js';
import { compileExpr } from '../../../passes/elementwise-expr.js';
import type { OpDef } from '../../op.js';
import { mapBroadcast, opError, requireInput, sameAsInput } from '../common.js';
import { normalizationOps } from '../nn/normalization.js';

const GELU = {
  none: compileExpr(activationExpr('gelu')),
  tanh: compileExpr(activationExpr('gelu_tanh')),
};

const gelu: OpDef = {
  op: 'Gelu',
  domain: 'kiln',
  versions: [1, 1],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const approximate = attrString(node, 'approximate', 'none');
    if (approximate !== 'none' && approximate !== 'tanh')
      throw opError(node, `approximate is '${approximate}'`, "'none' or 'tanh'");
    const f = GELU[approximate];
    const one = [0];
    return [
      mapBroadcast(node, [x], x.dtype, (v) => {
        one[0] = v as number;
        return f(one);
      }),
    ];
  },
  infer: sameAsInput(0),
};

const onnxLayerNorm = normalizationOps.find((d) => d.op === 'LayerNormalization');
if (!onnxLayerNorm) throw new KilnError('reference op LayerNormalization is missing');

const layerNorm: OpDef = { ...onnxLayerNorm, domain: 'kiln', versions: [1, 1] };

export const kilnNormalizationOps: OpDef[] = [gelu, layerNorm];
