/** RoiAlign: average or max of bilinear samples over a regular grid in each region bin. */
import { isFloatDType } from '../../../../runtime/dtype.js';
import { toNumbers } from '../../../../runtime/tensor.js';
import { attrFloat, attrInt, attrString } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { fromF64, toF64 } from './util.js';

/** Bilinear taps (offsets within a plane and weights) for one sample; count 0 outside the map. */
function sampleTaps(y: number, x: number, H: number, W: number, off: Int32Array, wt: Float64Array): number {
  if (y < -1 || y > H || x < -1 || x > W) return 0;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  let yl = Math.floor(y);
  let xl = Math.floor(x);
  let yh: number;
  let xh: number;
  if (yl >= H - 1) {
    yh = yl = H - 1;
    y = yl;
  } else yh = yl + 1;
  if (xl >= W - 1) {
    xh = xl = W - 1;
    x = xl;
  } else xh = xl + 1;
  const ly = y - yl;
  const lx = x - xl;
  const hy = 1 - ly;
  const hx = 1 - lx;
  off[0] = yl * W + xl;
  off[1] = yl * W + xh;
  off[2] = yh * W + xl;
  off[3] = yh * W + xh;
  wt[0] = hy * hx;
  wt[1] = hy * lx;
  wt[2] = ly * hx;
  wt[3] = ly * lx;
  return 4;
}

const roiAlign: OpDef = {
  op: 'RoiAlign',
  versions: [10, 22],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'X');
    const rois = requireInput(node, inputs, 1, 'rois');
    const bi = requireInput(node, inputs, 2, 'batch_indices');
    if (!isFloatDType(x.dtype) || x.rank !== 4)
      throw opError(node, `X is ${x.dtype}[${x.shape.join(',')}]`, 'float [N, C, H, W]');
    const R = rois.shape[0] ?? 0;
    if (rois.rank !== 2 || rois.shape[1] !== 4)
      throw opError(node, `rois has shape [${rois.shape.join(',')}]`, '[num_rois, 4]');
    if (bi.rank !== 1 || bi.shape[0] !== R)
      throw opError(node, `batch_indices has shape [${bi.shape.join(',')}]`, `[${R}]`);
    const mode = attrString(node, 'mode', 'avg');
    if (mode !== 'avg' && mode !== 'max') throw opError(node, `mode is '${mode}'`, "'avg' or 'max'");
    const PH = attrInt(node, 'output_height', 1);
    const PW = attrInt(node, 'output_width', 1);
    const ratio = attrInt(node, 'sampling_ratio', 0);
    const scale = attrFloat(node, 'spatial_scale', 1);
    // Opset 16 added coordinate_transformation_mode (default half_pixel); opset 10 behaves as output_half_pixel.
    const ctm =
      opset >= 16 ? attrString(node, 'coordinate_transformation_mode', 'half_pixel') : 'output_half_pixel';
    if (ctm !== 'half_pixel' && ctm !== 'output_half_pixel')
      throw opError(
        node,
        `coordinate_transformation_mode is '${ctm}'`,
        "'half_pixel' or 'output_half_pixel'",
      );
    const halfPixel = ctm === 'half_pixel';
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const xd = toF64(node, x, 'X');
    const rd = toF64(node, rois, 'rois');
    const bd = toNumbers(bi);
    const y = new Float64Array(R * C * PH * PW);
    const off = new Int32Array(4);
    const wt = new Float64Array(4);
    for (let r = 0; r < R; r++) {
      const b = bd[r]!;
      if (!Number.isInteger(b) || b < 0 || b >= N)
        throw opError(node, `batch index ${b} of roi ${r}`, `0..${N - 1}`);
      const o = halfPixel ? 0.5 : 0;
      const x0 = rd[r * 4]! * scale - o;
      const y0 = rd[r * 4 + 1]! * scale - o;
      let rw = rd[r * 4 + 2]! * scale - o - x0;
      let rh = rd[r * 4 + 3]! * scale - o - y0;
      if (!halfPixel) {
        rw = Math.max(rw, 1);
        rh = Math.max(rh, 1);
      }
      const binH = rh / PH;
      const binW = rw / PW;
      const gh = ratio > 0 ? ratio : Math.ceil(rh / PH);
      const gw = ratio > 0 ? ratio : Math.ceil(rw / PW);
      const count = Math.max(gh * gw, 1);
      for (let c = 0; c < C; c++) {
        const plane = (b * C + c) * H * W;
        for (let ph = 0; ph < PH; ph++)
          for (let pw = 0; pw < PW; pw++) {
            let acc = 0;
            let max = -Infinity;
            let any = false;
            for (let iy = 0; iy < gh; iy++) {
              const sy = y0 + ph * binH + ((iy + 0.5) * binH) / gh;
              for (let ix = 0; ix < gw; ix++) {
                const sx = x0 + pw * binW + ((ix + 0.5) * binW) / gw;
                const n = sampleTaps(sy, sx, H, W, off, wt);
                if (mode === 'avg') {
                  for (let k = 0; k < n; k++) acc += wt[k]! * xd[plane + off[k]!]!;
                } else if (n) {
                  // Max mode takes the largest weighted tap, as onnxruntime and the ONNX reference do.
                  for (let k = 0; k < n; k++) max = Math.max(max, wt[k]! * xd[plane + off[k]!]!);
                  any = true;
                } else {
                  max = Math.max(max, 0);
                  any = true;
                }
              }
            }
            y[((r * C + c) * PH + ph) * PW + pw] = mode === 'avg' ? acc / count : any ? max : 0;
          }
      }
    }
    return [fromF64(x.dtype, [R, C, PH, PW], y)];
  },
  infer: (ctx) => {
    const [x, rois] = ctx.inputs;
    if (!x) return [undefined];
    const R = rois?.shape?.[0] ?? ctx.freshDim();
    const C = x.shape?.[1] ?? ctx.freshDim();
    return [
      {
        dtype: x.dtype,
        shape: [R, C, attrInt(ctx.node, 'output_height', 1), attrInt(ctx.node, 'output_width', 1)],
      },
    ];
  },
};

export const roiAlignOps: OpDef[] = [roiAlign];
