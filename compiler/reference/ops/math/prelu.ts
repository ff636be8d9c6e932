/** PRelu: x < 0 ? slope * x : x, with slope broadcast to X's shape (unidirectionally). */
import type { DType } from '../../../../runtime/dtype.js';
import type { OpDef } from '../../op.js';
import { broadcastShapes, opError, requireInput } from '../common.js';
import { FLOATS, checkDType, checkSameDType, inferDTypes, mapN } from './util.js';

const TYPES: readonly DType[] = [...FLOATS, 'int32', 'int64', 'uint32', 'uint64'];

export const preluOps: OpDef[] = [
  {
    op: 'PRelu',
    versions: [1, 21],
    run: (inputs, { node }) => {
      const x = requireInput(node, inputs, 0, 'X');
      const slope = requireInput(node, inputs, 1, 'slope');
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
