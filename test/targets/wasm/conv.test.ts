import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { Attribute } from '../../../compiler/ir/graph.js';
import { type Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { WasmSession } from '../../../runtime/wasm/session.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { expectClose, rand } from './execute.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

interface ConvCase {
  label: string;
  x: [number, number, number, number];
  /** output channels, kernel h, kernel w */
  m: number;
  kh: number;
  kw: number;
  group?: number;
  strides?: [number, number];
  dilations?: [number, number];
  pads?: [number, number, number, number];
  bias?: boolean;
  relu?: boolean;
  /** kernel names the lowering must produce (which path it took) */
  path: string;
  /** im2col writes B in packed GEMM panels (OW a multiple of 8, B past 512 KB) */
  packed?: boolean;
}

/** float64 NCHW convolution with zero padding. */
function convRef(c: ConvCase, x: Float32Array, w: Float32Array, b: Float32Array | undefined) {
  const [N, C, H, W] = c.x;
  const G = c.group ?? 1;
  const [sh, sw] = c.strides ?? [1, 1];
  const [dh, dw] = c.dilations ?? [1, 1];
  const [pt, pl, pb, pr] = c.pads ?? [0, 0, 0, 0];
  const icpg = C / G;
  const ocpg = c.m / G;
  const OH = Math.floor((H + pt + pb - (dh * (c.kh - 1) + 1)) / sh) + 1;
  const OW = Math.floor((W + pl + pr - (dw * (c.kw - 1) + 1)) / sw) + 1;
  const y: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < c.m; oc++) {
      const g = Math.floor(oc / ocpg);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = b ? b[oc]! : 0;
          for (let ic = 0; ic < icpg; ic++)
            for (let i = 0; i < c.kh; i++)
              for (let j = 0; j < c.kw; j++) {
                const ih = oh * sh + i * dh - pt;
                const iw = ow * sw + j * dw - pl;
                if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
                s +=
                  x[((n * C + g * icpg + ic) * H + ih) * W + iw]! *
                  w[((oc * icpg + ic) * c.kh + i) * c.kw + j]!;
              }
          y.push(c.relu ? Math.max(s, 0) : s);
        }
    }
  return { y, shape: [N, c.m, OH, OW] };
}

const cases: ConvCase[] = [
  {
    label: 'pointwise',
    x: [1, 16, 7, 9],
    m: 13,
    kh: 1,
    kw: 1,
    bias: true,
    relu: true,
    path: 'conv_pointwise',
  },
  { label: 'pointwise, 2 items, no bias', x: [2, 5, 3, 3], m: 6, kh: 1, kw: 1, path: 'conv_pointwise' },
  {
    label: 'pointwise grouped',
    x: [2, 12, 5, 5],
    m: 9,
    kh: 1,
    kw: 1,
    group: 3,
    bias: true,
    path: 'conv_pointwise',
  },
  { label: 'pointwise stride 2', x: [1, 8, 9, 11], m: 7, kh: 1, kw: 1, strides: [2, 2], path: 'conv_im2col' },
  {
    label: '3×3 pad 1',
    x: [1, 6, 10, 10],
    m: 11,
    kh: 3,
    kw: 3,
    pads: [1, 1, 1, 1],
    bias: true,
    relu: true,
    path: 'conv_im2col',
  },
  {
    label: '7×7 stride 2 pad 3 (stem)',
    x: [1, 3, 17, 15],
    m: 8,
    kh: 7,
    kw: 7,
    strides: [2, 2],
    pads: [3, 3, 3, 3],
    bias: true,
    path: 'conv_im2col',
  },
  {
    label: '3×2 dilated, asymmetric pads, 2 items',
    x: [2, 4, 8, 9],
    m: 5,
    kh: 3,
    kw: 2,
    dilations: [2, 1],
    pads: [2, 0, 1, 1],
    strides: [1, 2],
    bias: true,
    path: 'conv_im2col',
  },
  {
    label: '3×3 grouped (2 groups, not depthwise)',
    x: [1, 8, 6, 7],
    m: 6,
    kh: 3,
    kw: 3,
    group: 2,
    pads: [1, 1, 1, 1],
    bias: true,
    path: 'conv_im2col',
  },
  {
    label: '3×3 pad 1, OW 32 (im2col into packed panels)',
    x: [1, 16, 32, 32],
    m: 13,
    kh: 3,
    kw: 3,
    pads: [1, 1, 1, 1],
    bias: true,
    relu: true,
    path: 'conv_im2col',
    packed: true,
  },
  {
    label: '3×3 stride 2, 2 groups, 2 items (im2col into packed panels)',
    x: [2, 32, 64, 64],
    m: 6,
    kh: 3,
    kw: 3,
    group: 2,
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    bias: true,
    path: 'conv_im2col',
    packed: true,
  },
  {
    label: 'depthwise 3×3 stride 2',
    x: [1, 6, 9, 10],
    m: 6,
    kh: 3,
    kw: 3,
    group: 6,
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    bias: true,
    relu: true,
    path: 'depthwise_conv',
  },
  {
    label: 'depthwise 5×5, channel multiplier 2',
    x: [2, 3, 11, 6],
    m: 6,
    kh: 5,
    kw: 5,
    group: 3,
    pads: [2, 2, 2, 2],
    bias: true,
    path: 'depthwise_conv',
  },
  {
    label: 'depthwise 9×9 (window too large to unroll)',
    x: [1, 4, 12, 13],
    m: 4,
    kh: 9,
    kw: 9,
    group: 4,
    pads: [4, 4, 4, 4],
    path: 'depthwise_conv',
  },
];

async function runConv(c: ConvCase, relaxed: boolean) {
  const [N, C] = c.x;
  const G = c.group ?? 1;
  const x = rand(
    c.x.reduce((a, b) => a * b, 1),
    1,
  );
  const w = rand(c.m * (C / G) * c.kh * c.kw, 2);
  const b = c.bias ? rand(c.m, 3) : undefined;
  const want = convRef(c, x, w, b);
  const attrs: Record<string, Attribute> = { kernel_shape: ints([c.kh, c.kw]), group: int(G) };
  if (c.strides) attrs.strides = ints(c.strides);
  if (c.dilations) attrs.dilations = ints(c.dilations);
  if (c.pads) attrs.pads = ints(c.pads);
  const convOut = c.relu ? 'z' : 'y';
  const nodes = [node('Conv', ['x', 'w', ...(b ? ['b'] : [])], [convOut], attrs, 'conv')];
  if (c.relu) nodes.push(node('Relu', ['z'], ['y'], {}, 'relu'));
  const initializers: Record<string, Tensor> = {
    w: tensorFrom('float32', [c.m, C / G, c.kh, c.kw], w),
  };
  if (b) initializers.b = tensorFrom('float32', [c.m], b);
  const compiled = compileWasm(
    model(
      graph({
        inputs: [value('x', 'float32', c.x)],
        outputs: [value('y', 'float32', want.shape)],
        nodes,
        initializers,
      }),
    ),
  );
  const s = await WasmSession.create(await wasmArtifact(compiled), { relaxedSimd: relaxed ? 'on' : 'off' });
  const y = (await s.run({ x: tensorFrom('float32', c.x, x) })).y!;
  expect(y.shape).toEqual(want.shape);
  return { y: y.data as Float32Array, want, kernels: compiled.lowered.kernels.map((k) => k.name), N };
}

describe('WASM target: Conv lowerings match a float64 convolution', () => {
  for (const c of cases) {
    it.each([false, true])(`${c.label} (relaxed FMA: %s) via ${c.path}`, async (relaxed) => {
      const { y, want, kernels } = await runConv(c, relaxed);
      expect(kernels).toContain(c.path);
      if (c.path === 'conv_im2col') expect(kernels).toContain(c.packed ? 'im2col_packed' : 'im2col');
      // a fused Relu leaves no kernel of its own
      if (c.relu)
        expect(kernels.filter((k) => k !== 'pad' && k !== 'im2col' && k !== 'im2col_packed')).toEqual([
          c.path,
        ]);
      expectClose(y, want.y, (c.x[1] / (c.group ?? 1)) * c.kh * c.kw);
    });
  }
});
