/** LpNormalization: x / ||x||_p along one axis (p = 1 or 2). */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { shapeSize } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput, sameAsInput } from '../common.js';
import { fromF64, toF64 } from './util.js';

const lpNormalization: OpDef = {
  op: 'LpNormalization',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'input');
    if (!isFloatDType(x.dtype)) throw opError(node, `input has dtype ${x.dtype}`, 'a float tensor');
    const p = attrInt(node, 'p', 2);
    if (p !== 1 && p !== 2) throw opError(node, `p is ${p}`, '1 or 2');
    const axis = normalizeAxis(node, attrInt(node, 'axis', -1), x.rank);
    const D = x.shape[axis]!;
    const inner = shapeSize(x.shape.slice(axis + 1));
    const outer = D * inner === 0 ? 0 : x.size / (D * inner);
    const xd = toF64(node, x, 'input');
    const y = new Float64Array(xd.length);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * D * inner + j;
        let s = 0;
        for (let d = 0; d < D; d++) {
          const v = xd[base + d * inner]!;
          s += p === 1 ? Math.abs(v) : v * v;
        }
        const norm = p === 1 ? s : Math.sqrt(s);
        // A zero vector stays zero (onnxruntime's behaviour) rather than becoming 0/0 = NaN.
        for (let d = 0; d < D; d++) y[base + d * inner] = norm === 0 ? 0 : xd[base + d * inner]! / norm;
      }
    return [fromF64(x.dtype, x.shape, y)];
  },
  infer: sameAsInput(0),
};

export const lpNormalizationOps: OpDef[] = [lpNormalization];
