/** PRelu: x < 0 ? slope * x : x, with slope broadcast to X's shape (unidirectionally). */
import type { DType } from '../../../../runtime/dtype.js';
import { Tensor } from '../../../../runtime/tensor.js';
import type { OpDef } from '../../op.js';
import { broadcastShapes, opError, requireInput } from '../common.js';
import { FLOATS, checkDType, checkSameDType, inferDTypes, mapN } from './util.js';

const TYPES: readonly DType[] = [...FLOATS, 'int32', 'int64', 'uint32', 'uint64'];

/**
 * Before opset 7 a 1-D slope of X's channel count applies per channel (axis 1), as Caffe2 and
 * PyTorch exports of that era expect; reshaped to [C, 1, ...] numpy broadcasting then does that.
 */
function channelSlope(opset: number, x: Tensor, slope: Tensor): Tensor {
  if (opset >= 7 || slope.rank !== 1 || x.rank < 2 || slope.size === 1 || slope.size !== x.shape[1])
    return slope;
  return new Tensor(slope.dtype, [slope.size, ...new Array<number>(x.rank - 2).fill(1)], slope.data);
}

export const preluOps: OpDef[] = [
  {
    op: 'PRelu',
    versions: [1, 21],
    run: (inputs, { node, opset }) => {
      const x = requireInput(node, inputs, 0, 'X');
      const slope = channelSlope(opset, x, requireInput(node, inputs, 1, 'slope'));
      checkDType(node, x.dtype, TYPES, 'X');
      checkSameDType(node, [x.dtype, slope.dtype], 'X and slope');
      const out = broadcastShapes(node, x.shape, slope.shape);
      if (out.length !== x.rank || out.some((d, i) => d !== x.shape[i])) {
        throw opError(
          node,
          `slope of shape [${slope.shape.join(',')}] does not broadcast to X's shape [${x.shape.join(',')}]`,
          'a slope unidirectionally broadcastable to X',
        );
      }
      return [
        mapN(node, [x, slope], x.dtype, (v, s) =>
          typeof v === 'bigint'
            ? v < 0n
              ? v * (s as bigint)
              : v
            : (v as number) < 0
              ? (v as number) * (s as number)
              : v,
        ),
      ];
    },
    infer: (ctx) => {
      const [x, slope] = ctx.inputs;
      inferDTypes(ctx.node, [x, slope], TYPES);
      return [x && { dtype: x.dtype, shape: x.shape ? [...x.shape] : undefined }];
    },
  },
];
