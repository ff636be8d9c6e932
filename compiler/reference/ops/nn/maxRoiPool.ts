/** MaxRoiPool: max over each cell of a pooled_shape grid laid on every region (Caffe ROI pooling). */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { attrFloat, attrInts } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { fromF64, toF64 } from './util.js';

/** Round half away from zero (C's round), which region corners use. */
const roundAway = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

const maxRoiPool: OpDef = {
  op: 'MaxRoiPool',
  versions: [1, 22],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const rois = requireInput(node, inputs, 1, 'rois');
    if (!isFloatDType(x.dtype) || x.rank !== 4)
      throw opError(node, `X is ${x.dtype}[${x.shape.join(',')}]`, 'float [N, C, H, W]');
    if (rois.rank !== 2 || rois.shape[1] !== 5)
      throw opError(
        node,
        `rois has shape [${rois.shape.join(',')}]`,
        '[num_rois, 5] (batch, x1, y1, x2, y2)',
      );
    const pooled = attrInts(node, 'pooled_shape');
    if (pooled.length !== 2 || pooled.some((v) => !Number.isInteger(v) || v < 1))
      throw opError(node, `pooled_shape is [${pooled.join(',')}]`, 'two positive sizes');
    const [PH, PW] = pooled as [number, number];
    const scale = attrFloat(node, 'spatial_scale', 1);
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const R = rois.shape[0]!;
    const xd = toF64(node, x, 'X');
    const rd = toF64(node, rois, 'rois');
    const y = new Float64Array(R * C * PH * PW);
    for (let r = 0; r < R; r++) {
      const b = rd[r * 5]!;
      if (!Number.isInteger(b) || b < 0 || b >= N)
        throw opError(node, `roi ${r} has batch index ${b}`, `0..${N - 1}`);
      const x1 = roundAway(rd[r * 5 + 1]! * scale);
      const y1 = roundAway(rd[r * 5 + 2]! * scale);
      const x2 = roundAway(rd[r * 5 + 3]! * scale);
      const y2 = roundAway(rd[r * 5 + 4]! * scale);
      const binH = Math.max(y2 - y1 + 1, 1) / PH;
      const binW = Math.max(x2 - x1 + 1, 1) / PW;
      for (let c = 0; c < C; c++) {
        const plane = (b * C + c) * H * W;
        for (let ph = 0; ph < PH; ph++) {
          const hs = Math.min(Math.max(Math.floor(ph * binH) + y1, 0), H);
          const he = Math.min(Math.max(Math.ceil((ph + 1) * binH) + y1, 0), H);
          for (let pw = 0; pw < PW; pw++) {
            const ws = Math.min(Math.max(Math.floor(pw * binW) + x1, 0), W);
            const we = Math.min(Math.max(Math.ceil((pw + 1) * binW) + x1, 0), W);
            // An empty cell (region outside the map) pools to 0.
            let m = he <= hs || we <= ws ? 0 : -Infinity;
            for (let h = hs; h < he; h++)
              for (let w = ws; w < we; w++) m = Math.max(m, xd[plane + h * W + w]!);
            y[((r * C + c) * PH + ph) * PW + pw] = m;
          }
        }
      }
    }
    return [fromF64(x.dtype, [R, C, PH, PW], y)];
  },
  infer: (ctx) => {
    const [x, rois] = ctx.inputs;
    if (!x) return [undefined];
    const pooled = attrInts(ctx.node, 'pooled_shape');
    return [
      {
        dtype: x.dtype,
        shape: [rois?.shape?.[0] ?? ctx.freshDim(), x.shape?.[1] ?? ctx.freshDim(), ...pooled],
      },
    ];
  },
};

export const maxRoiPoolOps: OpDef[] = [maxRoiPool];
