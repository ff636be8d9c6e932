/** ReverseSequence and Col2Im: index rearrangements along specific axes. */
import { isBigIntDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData } from '../../../../runtime/tensor.js';
import { attrInt, attrIntsOpt } from '../../../ir/attrs.js';
import type { Dim } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput, sameAsInput } from '../common.js';
import { constInts, forEachIndex, intList, stridesOf, takeFlat } from './util.js';

const ReverseSequence: OpDef = {
  op: 'ReverseSequence',
  versions: [10, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'input');
    const lens = intList(node, requireInput(node, inputs, 1, 'sequence_lens'), 'sequence_lens');
    const timeAxis = attrInt(node, 'time_axis', 0);
    const batchAxis = attrInt(node, 'batch_axis', 1);
    if (x.rank < 2) throw opError(node, `input has rank ${x.rank}`, 'rank >= 2');
    if (![0, 1].includes(timeAxis) || ![0, 1].includes(batchAxis) || timeAxis === batchAxis)
      throw opError(node, `time_axis ${timeAxis}, batch_axis ${batchAxis}`, 'one of them 0, the other 1');
    const maxLen = x.shape[timeAxis]!;
    if (lens.length !== x.shape[batchAxis])
      throw opError(node, `${lens.length} sequence lengths for batch ${x.shape[batchAxis]}`);
    for (const l of lens)
      if (l < 0 || l > maxLen) throw opError(node, `sequence length ${l}`, `0..${maxLen}`);
    const strides = stridesOf(x.shape);
    const map = new Int32Array(x.size);
    forEachIndex(x.shape, (idx, k) => {
      const t = idx[timeAxis]!;
      const len = lens[idx[batchAxis]!]!;
      const src = t < len ? len - 1 - t : t;
      map[k] = k + (src - t) * strides[timeAxis]!;
    });
    return [takeFlat(x, x.shape, map)];
  },
  infer: sameAsInput(0),
};

/** Number of sliding positions along one spatial dim. */
function positions(img: number, k: number, dil: number, pb: number, pe: number, stride: number): number {
  return Math.floor((img + pb + pe - dil * (k - 1) - 1) / stride) + 1;
}

/** Col2Im: sum sliding blocks [N, C*prod(block), L] back into an image [N, C, ...image_shape]. */
const Col2Im: OpDef = {
  op: 'Col2Im',
  versions: [18, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'input');
    const img = intList(node, requireInput(node, inputs, 1, 'image_shape'), 'image_shape');
    const block = intList(node, requireInput(node, inputs, 2, 'block_shape'), 'block_shape');
    const nd = img.length;
    if (block.length !== nd) throw opError(node, `block_shape has ${block.length} dims, image_shape ${nd}`);
    if (x.rank !== 3)
      throw opError(node, `input has rank ${x.rank}`, 'a 3-D [N, C*prod(block_shape), L] input');
    const dil = attrIntsOpt(node, 'dilations') ?? new Array<number>(nd).fill(1);
    const strides = attrIntsOpt(node, 'strides') ?? new Array<number>(nd).fill(1);
    const pads = attrIntsOpt(node, 'pads') ?? new Array<number>(2 * nd).fill(0);
    if (dil.length !== nd || strides.length !== nd || pads.length !== 2 * nd)
      throw opError(node, 'dilations/strides/pads do not match image_shape', `${nd} dims (${2 * nd} pads)`);
    if (x.dtype === 'string' || x.dtype === 'bool')
      throw opError(node, `input dtype ${x.dtype}`, 'a numeric tensor');
    const [n, cb, l] = x.shape as [number, number, number];
    const blockSize = block.reduce((a, b) => a * b, 1);
    if (blockSize === 0 || cb % blockSize !== 0)
      throw opError(node, `dim 1 (${cb}) is not a multiple of prod(block_shape) ${blockSize}`);
    const c = cb / blockSize;
    const pos = img.map((d, i) => positions(d, block[i]!, dil[i]!, pads[i]!, pads[i + nd]!, strides[i]!));
    const nPos = pos.reduce((a, b) => a * b, 1);
    if (nPos !== l) throw opError(node, `input has L = ${l} blocks`, `${nPos} for the given geometry`);
    const imgSize = img.reduce((a, b) => a * b, 1);
    const imgStrides = stridesOf(img);
    const out = new Float64Array(n * c * imgSize);
    const src = x.data as ArrayLike<number>;
    for (let b = 0; b < n * c; b++) {
      forEachIndex(block, (kIdx, kFlat) => {
        forEachIndex(pos, (pIdx, pFlat) => {
          let off = 0;
          for (let d = 0; d < nd; d++) {
            const at = pIdx[d]! * strides[d]! - pads[d]! + kIdx[d]! * dil[d]!;
            if (at < 0 || at >= img[d]!) return;
            off += at * imgStrides[d]!;
          }
          out[b * imgSize + off]! += src[(b * blockSize + kFlat) * l + pFlat]!;
        });
      });
    }
    const data = allocData(x.dtype, out.length);
    if (isBigIntDType(x.dtype)) {
      const d = data as BigInt64Array;
      for (let i = 0; i < out.length; i++) d[i] = BigInt(Math.trunc(out[i]!));
    } else (data as Float32Array).set(out);
    return [new Tensor(x.dtype, [n, c, ...img], data)];
  },
  infer: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) return [undefined];
    const img = constInts(ctx, 1, 'image_shape');
    const block = constInts(ctx, 2, 'block_shape');
    const xs = x.shape;
    const n: Dim = xs?.[0] ?? ctx.freshDim();
    let c: Dim = ctx.freshDim();
    if (xs && typeof xs[1] === 'number' && block) c = xs[1] / block.reduce((a, b) => a * b, 1);
    if (!img) {
      const s = ctx.inputs[1]?.shape;
      if (s && typeof s[0] === 'number')
        return [{ dtype: x.dtype, shape: [n, c, ...Array.from({ length: s[0] }, () => ctx.freshDim())] }];
      return [{ dtype: x.dtype }];
    }
    return [{ dtype: x.dtype, shape: [n, c, ...img] }];
  },
};

export const sequenceOps: OpDef[] = [ReverseSequence, Col2Im];
