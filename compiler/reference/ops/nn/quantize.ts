/** QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear (integer quantized types). */
import { type DType, dtypeFromOnnx, isFloatDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, type TensorData } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { paramIndex, quantRange, roundHalfEven, roundTo, saturate } from './quantUtil.js';
import { toF64 } from './util.js';

/** Layout attributes: axis from opset 13, block_size from opset 21. */
function layout(node: Node, opset: number): { axis: number; blockSize: number } {
  return {
    axis: opset >= 13 ? attrInt(node, 'axis', 1) : 1,
    blockSize: opset >= 21 ? attrInt(node, 'block_size', 0) : 0,
  };
}

/** QuantizeLinear's output type: the zero point's, else output_dtype (opset 21), else uint8. */
function quantOutputType(node: Node, opset: number, zp: { dtype: DType } | undefined): DType {
  if (zp) return zp.dtype;
  const code = opset >= 21 ? attrInt(node, 'output_dtype', 0) : 0;
  if (code === 0) return 'uint8';
  const dt = dtypeFromOnnx(code);
  if (!dt) throw opError(node, `output_dtype ${code} is not a known type`);
  return dt;
}

const quantizeLinear: OpDef = {
  op: 'QuantizeLinear',
  versions: [10, 22],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'x');
    const scale = requireInput(node, inputs, 1, 'y_scale');
    const zp = inputs[2];
    const outType = quantOutputType(node, opset, zp);
    if (
      zp &&
      opset >= 21 &&
      attrInt(node, 'output_dtype', 0) !== 0 &&
      dtypeFromOnnx(attrInt(node, 'output_dtype')) !== zp.dtype
    )
      throw opError(node, `output_dtype disagrees with y_zero_point's type ${zp.dtype}`);
    const range = quantRange(node, outType);
    const { axis, blockSize } = layout(node, opset);
    const sMap = paramIndex(node, x.shape, scale, axis, blockSize, 'y_scale');
    const zMap = zp ? paramIndex(node, x.shape, zp, axis, blockSize, 'y_zero_point') : null;
    const xd = toF64(node, x, 'x');
    const sd = toF64(node, scale, 'y_scale');
    const zd = zp ? toF64(node, zp, 'y_zero_point') : null;
    const out = allocData(outType, x.size) as Int32Array;
    // The division happens in the scale's precision (float32 for float32 scales), as the reference does.
    const divType = isFloatDType(x.dtype) && x.dtype !== 'float64' ? scale.dtype : 'float64';
    for (let i = 0; i < xd.length; i++) {
      const s = sd[sMap ? sMap[i]! : 0]!;
      const z = zd ? zd[zMap ? zMap[i]! : 0]! : 0;
      const q = roundHalfEven(roundTo(divType, xd[i]! / s)) + z;
      out[i] = Number.isNaN(q) ? z : saturate(q, range);
    }
    return [new Tensor(outType, x.shape, out as unknown as TensorData)];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    return [
      {
        dtype: quantOutputType(ctx.node, ctx.opset, ctx.inputs[2]),
        shape: x?.shape ? [...x.shape] : undefined,
      },
    ];
  },
};

const dequantizeLinear: OpDef = {
  op: 'DequantizeLinear',
  versions: [10, 22],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'x');
    const scale = requireInput(node, inputs, 1, 'x_scale');
    const zp = inputs[2];
    quantRange(node, x.dtype);
    if (zp && zp.dtype !== x.dtype)
      throw opError(node, `x_zero_point is ${zp.dtype} but x is ${x.dtype}`, 'equal types');
    if (!isFloatDType(scale.dtype)) throw opError(node, `x_scale has dtype ${scale.dtype}`, 'a float tensor');
    const { axis, blockSize } = layout(node, opset);
    const sMap = paramIndex(node, x.shape, scale, axis, blockSize, 'x_scale');
    const zMap = zp ? paramIndex(node, x.shape, zp, axis, blockSize, 'x_zero_point') : null;
    const xd = toF64(node, x, 'x');
    const sd = toF64(node, scale, 'x_scale');
    const zd = zp ? toF64(node, zp, 'x_zero_point') : null;
    const out = allocData(scale.dtype, x.size) as Float32Array;
    for (let i = 0; i < xd.length; i++) {
      const z = zd ? zd[zMap ? zMap[i]! : 0]! : 0;
      out[i] = (xd[i]! - z) * sd[sMap ? sMap[i]! : 0]!;
    }
    return [new Tensor(scale.dtype, x.shape, out)];
  },
  infer: (ctx) => {
    const [x, s] = ctx.inputs;
    if (!s) return [undefined];
    return [{ dtype: s.dtype, shape: x?.shape ? [...x.shape] : undefined }];
  },
};

/**
 * DynamicQuantizeLinear: uint8 quantization with scale and zero point from the data range (always
 * including 0), computed in float32 as the spec's function body does.
 */
const dynamicQuantizeLinear: OpDef = {
  op: 'DynamicQuantizeLinear',
  versions: [11, 22],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'x');
    if (x.dtype !== 'float32') throw opError(node, `x has dtype ${x.dtype}`, 'float32');
    const xd = x.data as Float32Array;
    let min = 0;
    let max = 0;
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const f = Math.fround;
    const scale = f(f(max - min) / 255);
    const zp = scale === 0 ? 0 : saturate(roundHalfEven(f(0 - f(min / scale))), [0, 255]);
    const y = new Uint8Array(xd.length);
    if (scale !== 0)
      for (let i = 0; i < xd.length; i++) y[i] = saturate(roundHalfEven(f(xd[i]! / scale)) + zp, [0, 255]);
    else y.fill(zp);
    return [
      new Tensor('uint8', x.shape, y),
      new Tensor('float32', [], Float32Array.of(scale)),
      new Tensor('uint8', [], Uint8Array.of(zp)),
    ];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    return [
      { dtype: 'uint8', shape: x?.shape ? [...x.shape] : undefined },
      { dtype: 'float32', shape: [] },
      { dtype: 'uint8', shape: [] },
    ];
  },
};

export const quantizeOps: OpDef[] = [quantizeLinear, dequantizeLinear, dynamicQuantizeLinear];
