/** MaxUnpool: scatter pooled values back to the flat positions MaxPool's Indices recorded. */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { shapeSize, stridesOf, toNumbers } from '../../../../runtime/tensor.js';
import { attrIntsOpt } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { readWindow } from './spatial.js';
import { fromF64, toF64 } from './util.js';

/** Default output size per spatial axis: (in - 1) * stride + kernel - pad_begin - pad_end. */
function defaultSpatial(node: Node, inSp: readonly number[]): number[] {
  const w = readWindow(node, inSp.length);
  const n = inSp.length;
  return inSp.map((d, i) => (d - 1) * w.strides[i]! + w.kernel[i]! - w.pads[i]! - w.pads[i + n]!);
}

/** Copy a row-major `from`-shaped array into the leading corner of a zero `to`-shaped one. */
function embedAtOrigin(src: Float64Array, from: number[], to: number[]): Float64Array {
  const out = new Float64Array(shapeSize(to));
  const rank = from.length;
  const fs = stridesOf(from);
  const ts = stridesOf(to);
  for (let i = 0; i < src.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) o += (Math.floor(i / fs[d]!) % from[d]!) * ts[d]!;
    out[o] = src[i]!;
  }
  return out;
}

const maxUnpool: OpDef = {
  op: 'MaxUnpool',
  versions: [9, 22],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const idx = requireInput(node, inputs, 1, 'I');
    if (!isFloatDType(x.dtype)) throw opError(node, `X has dtype ${x.dtype}`, 'a float tensor');
    if (x.rank < 3) throw opError(node, `X has shape [${x.shape.join(',')}]`, '[N, C, D1, ...]');
    if (idx.size !== x.size || idx.shape.some((d, i) => d !== x.shape[i]))
      throw opError(
        node,
        `I has shape [${idx.shape.join(',')}] but X has [${x.shape.join(',')}]`,
        'equal shapes',
      );
    const dflt = [x.shape[0]!, x.shape[1]!, ...defaultSpatial(node, x.shape.slice(2))];
    const os = inputs[2];
    const shape = os ? toNumbers(os) : dflt;
    if (shape.length !== x.rank || shape.some((d) => !Number.isInteger(d) || d < 0))
      throw opError(node, `output_shape [${shape.join(',')}] is invalid`, `${x.rank} non-negative sizes`);
    // Indices address the default-shaped result; a larger output_shape pads it with zeros at the end
    // of each axis (as the ONNX reference does). A smaller one takes the indices as flat positions in it.
    const embed = shape.every((d, i) => d >= dflt[i]!);
    const scatterShape = embed ? dflt : shape;
    const n = shapeSize(scatterShape);
    let y: Float64Array = new Float64Array(n);
    const xd = toF64(node, x, 'X');
    const id = toNumbers(idx);
    for (let i = 0; i < xd.length; i++) {
      const j = id[i]!;
      if (!Number.isInteger(j) || j < 0 || j >= n)
        throw opError(
          node,
          `index ${j} at position ${i} is outside the output of ${n} elements`,
          `0..${n - 1}`,
        );
      y[j] = xd[i]!;
    }
    if (embed && shape.some((d, i) => d !== dflt[i])) y = embedAtOrigin(y, dflt, shape);
    return [fromF64(x.dtype, shape, y)];
  },
  infer: (ctx) => {
    const [x, , os] = ctx.inputs;
    if (!x) return [undefined];
    const c = ctx.constants[2];
    let shape: Dim[] | undefined;
    if (c) shape = toNumbers(c);
    else if (os) shape = x.shape ? x.shape.map(() => ctx.freshDim()) : undefined;
    else if (x.shape) {
      const sp = x.shape.slice(2);
      const known = attrIntsOpt(ctx.node, 'kernel_shape') !== undefined;
      shape = [
        x.shape[0]!,
        x.shape[1]!,
        ...sp.map((d, i) =>
          typeof d === 'number' && known
            ? defaultSpatial(
                ctx.node,
                sp.map((v) => (typeof v === 'number' ? v : 1)),
              )[i]!
            : ctx.freshDim(),
        ),
      ];
    }
    return [{ dtype: x.dtype, shape }];
  },
};

export const maxUnpoolOps: OpDef[] = [maxUnpool];
