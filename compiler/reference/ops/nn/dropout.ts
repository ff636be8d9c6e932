/** Dropout: identity at inference; random dropping in training mode (MT19937, seedable). */
import { Tensor, allocData, type TensorData } from '../../../../runtime/tensor.js';
import { attrFloat, attrInt, attrIntOpt } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { MT19937 } from './mt19937.js';
import { fromF64, toF64 } from './util.js';

const dropout: OpDef = {
  op: 'Dropout',
  versions: [1, 22],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'data');
    // Opset 12 moved ratio and training_mode from attributes to inputs (opset 7-11 is always inference).
    let ratio = opset >= 12 ? 0.5 : attrFloat(node, 'ratio', 0.5);
    // Opsets 1-6 train unless is_test is set; opsets 7-11 are always inference.
    let training = opset < 7 && attrInt(node, 'is_test', 0) === 0;
    if (opset >= 12) {
      if (inputs[1]) ratio = toF64(node, inputs[1], 'ratio')[0]!;
      const tm = inputs[2];
      if (tm) {
        if (tm.dtype !== 'bool' || tm.size !== 1)
          throw opError(node, `training_mode is ${tm.dtype}[${tm.shape.join(',')}]`, 'a bool scalar');
        training = (tm.data as Uint8Array)[0] !== 0;
      }
    }
    if (!(ratio >= 0 && ratio < 1)) throw opError(node, `ratio is ${ratio}`, '0 <= ratio < 1');
    const maskDtype = opset >= 10 ? 'bool' : x.dtype;
    const mask = allocData(maskDtype, x.size) as Uint8Array;
    if (!training || ratio === 0) {
      mask.fill(1);
      return [x, new Tensor(maskDtype, x.shape, mask as TensorData)];
    }
    const gen = new MT19937(attrIntOpt(node, 'seed') ?? Math.floor(Math.random() * 2 ** 32));
    const xd = toF64(node, x, 'data');
    const y = new Float64Array(xd.length);
    const keep = 1 / (1 - ratio);
    for (let i = 0; i < xd.length; i++) {
      const m = gen.nextDouble() >= ratio ? 1 : 0;
      mask[i] = m;
      y[i] = m ? xd[i]! * keep : 0;
    }
    return [fromF64(x.dtype, x.shape, y), new Tensor(maskDtype, x.shape, mask as TensorData)];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    const maskDtype = ctx.opset >= 10 ? 'bool' : x.dtype;
    return [{ ...x }, { dtype: maskDtype, shape: x.shape ? [...x.shape] : undefined }];
  },
};

export const dropoutOps: OpDef[] = [dropout];
