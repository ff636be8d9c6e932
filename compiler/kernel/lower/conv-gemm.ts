import { type Activation, type Stmt, affine } from '../ir.js';
import { packGemmA, packedRows } from '../pack.js';
import type { LowerContext } from './context.js';
import { GEMM_TILE, gemmTileFor } from './gemm.js';
import { padSpatial } from './pad.js';
import type { Window } from './conv.js';

/** A 2-D Conv's resolved geometry (NCHW input, OIHW weights). */
export interface ConvGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  /** Output channels, and per group: input and output channels. */
  M: number;
  group: number;
  icpg: number;
  ocpg: number;
  KH: number;
  KW: number;
  win: Window;
}

/** What a 2-D Conv lowering reads and writes: the same for the direct, im2col and implicit GEMM forms. */
export interface ConvOperands {
  x: string;
  weights: Float32Array;
  bias: Float32Array | undefined;
  out: string;
  activation: Activation;
}

/**
 * The conv's GEMM sizes, one per batch item and group: P = OH·OW output positions (the GEMM's n) and
 * K = icpg·KH·KW window terms (its k). Shared so the im2col, packed and implicit forms agree.
 */
function convGemmDims(geo: ConvGeometry): { OH: number; OW: number; P: number; K: number } {
  const [OH, OW] = geo.win.out as [number, number];
  return { OH, OW, P: OH * OW, K: geo.icpg * geo.KH * geo.KW };
}

/**
 * Conv (any group count) as GEMMs, one per batch item and group: Y[oc, p] = W[oc, k] · X[k, p] + b[oc],
 * k running over (input channel, kh, kw). The weights are A, packed per MR (4) output channels at compile
 * time; B is the input itself for a pointwise conv (1×1, stride 1, no padding), else an im2col buffer
 * built from the zero-padded input. The activation is the GEMM's epilogue. A target that asks for
 * implicit convolutions (LowerOptions.implicitConv) gets no pad/im2col kernels: B is the input read
 * through its conv geometry (implicitConvGemm).
 */
export function lowerConvGemm(
  nodeName: string,
  ctx: LowerContext,
  geo: ConvGeometry,
  ops: ConvOperands,
): void {
  const { N, C, H, W, M, group, ocpg, KH, KW, win } = geo;
  const { x, weights, bias, out, activation } = ops;
  const { OW, P, K } = convGemmDims(geo);
  const pointwise =
    KH === 1 &&
    KW === 1 &&
    win.strides.every((s) => s === 1) &&
    [...win.begin, ...win.end].every((p) => p === 0);
  if (!pointwise && ctx.options.implicitConv) {
    implicitConvGemm(nodeName, ctx, geo, ops);
    return;
  }
  const packB = !pointwise && im2colPacked(OW, K * P);
  const b = pointwise ? x : packB ? im2colPanels(nodeName, ctx, geo, x) : im2col(nodeName, ctx, geo, x);
  const { mr } = GEMM_TILE;
  ctx.emit({
    kind: 'gemm',
    name: pointwise ? 'conv_pointwise' : 'conv_im2col',
    nodes: [nodeName],
    buffers: [],
    m: ocpg,
    n: P,
    k: K,
    a: ctx.weight(`${nodeName}:W:packed`, packGemmA(weights, ocpg, K, mr, group)),
    aLayout: 'packed',
    b,
    bLayout: packB ? 'packed' : 'rowmajor',
    ...(bias ? { bias: ctx.weight(`${nodeName}:B`, bias) } : {}),
    biasPer: 'row',
    c: out,
    batch: [
      // B per item and group: the input (pointwise, C·H·W = group·K·P) or the im2col buffer (group·K·P)
      { count: N, a: 0, b: C * (pointwise ? H * W : KH * KW * P), c: M * P, bias: 0 },
      { count: group, a: packedRows(ocpg, mr) * K, b: K * P, c: ocpg * P, bias: ocpg },
    ].filter((l) => l.count > 1),
    activation,
    tile: gemmTileFor(ocpg, K),
  });
}

/** Past this many bytes of one GEMM's im2col B (about L2), it is written in packed column panels. */
const PACKED_IM2COL_BYTES = 512 << 10;

/**
 * Whether im2col writes B in packed panels (see im2colPanels): a row-major B of n columns makes every
 * k step of a column panel jump n·4 bytes, a stride the hardware prefetcher does not follow once B is
 * out of L2. Only when OW is a multiple of the panel width, so a panel never straddles two output rows.
 */
function im2colPacked(OW: number, elements: number): boolean {
  return OW % GEMM_TILE.nr === 0 && elements * 4 > PACKED_IM2COL_BYTES;
}

/**
 * im2col straight into the GEMM's packed B layout (packGemmB's): per batch item and group, panel
 * pn = oh·(OW/8) + owb holds, for each k = (ci, kh, kw), the 8 columns ow = owb·8 .. owb·8+7, so
 * col[n, g, pn, k, q] = padded[n, g·icpg + ci, oh·sh + kh·dh, (owb·8 + q)·sw + kw·dw]. Each panel is
 * written as one contiguous run of K·8 floats.
 */
function im2colPanels(nodeName: string, ctx: LowerContext, geo: ConvGeometry, x: string): string {
  const { N, C, H, W, KH, KW, group, icpg, win } = geo;
  const { OH, OW, P, K } = convGemmDims(geo);
  const nr = GEMM_TILE.nr;
  const padded = padSpatial(ctx, nodeName, x, [N, C, H, W], win.begin, win.end, 0);
  const [, , HP, WP] = padded.shape as [number, number, number, number];
  const [sh, sw] = win.strides as [number, number];
  const [dh, dw] = win.dilations as [number, number];
  const col = ctx.temp(`${nodeName}:im2col`, N * C * KH * KW * P);
  const store: Stmt = {
    k: 'store',
    buf: col,
    at: affine(
      0,
      ['n', C * KH * KW * P],
      ['g', K * P],
      ['oh', (OW / nr) * K * nr],
      ['owb', K * nr],
      ['ci', KH * KW * nr],
      ['kh', KW * nr],
      ['kw', nr],
      ['q', 1],
    ),
    value: {
      k: 'load',
      buf: padded.buf,
      at: affine(
        0,
        ['n', C * HP * WP],
        ['g', icpg * HP * WP],
        ['ci', HP * WP],
        ['oh', sh * WP],
        ['kh', dh * WP],
        ['owb', nr * sw],
        ['q', sw],
        ['kw', dw],
      ),
    },
  };
  const nest = (loops: [string, number][], inner: Stmt): Stmt =>
    loops.reduceRight<Stmt>((body, [v, n]) => loop(v, n, [body]), inner);
  ctx.emit({
    kind: 'loops',
    name: 'im2col_packed',
    nodes: [nodeName],
    buffers: [],
    body: [
      nest(
        [
          ['n', N],
          ['g', group],
          ['oh', OH],
          ['owb', OW / nr],
          ['ci', icpg],
          ['kh', KH],
          ['kw', KW],
        ],
        loop('q', nr, [store], true),
      ),
    ],
  });
  return col;
}

const loop = (v: string, n: number, body: Stmt[], vector = false): Stmt => ({
  k: 'loop',
  v,
  n,
  body,
  vector,
});

/**
 * The conv as one GEMM per batch item and group whose B is gathered from the unpadded input (bLayout
 * 'conv'), so neither the padded copy nor the im2col buffer exists; A is the weights as they are
 * ([M, icpg·KH·KW] row-major, a group's rows contiguous).
 */
function implicitConvGemm(nodeName: string, ctx: LowerContext, geo: ConvGeometry, ops: ConvOperands): void {
  const { N, C, H, W, M, group, icpg, ocpg, KH, KW, win } = geo;
  const { x, weights, bias, out, activation } = ops;
  const { OW, P, K } = convGemmDims(geo);
  ctx.emit({
    kind: 'gemm',
    name: icpg === 1 && group > 1 ? 'depthwise_conv' : 'conv_implicit',
    nodes: [nodeName],
    buffers: [],
    m: ocpg,
    n: P,
    k: K,
    a: ctx.weight(`${nodeName}:W`, weights),
    aLayout: 'rowmajor',
    b: x,
    bLayout: 'conv',
    conv: {
      channels: icpg,
      in: [H, W],
      kernel: [KH, KW],
      strides: win.strides as [number, number],
      dilations: win.dilations as [number, number],
      pads: win.begin as [number, number],
      outWidth: OW,
    },
    ...(bias ? { bias: ctx.weight(`${nodeName}:B`, bias) } : {}),
    biasPer: 'row',
    c: out,
    batch: [
      { count: N, a: 0, b: C * H * W, c: M * P, bias: 0 },
      { count: group, a: ocpg * K, b: icpg * H * W, c: ocpg * P, bias: ocpg },
    ].filter((l) => l.count > 1),
    activation,
    tile: GEMM_TILE,
  });
}

/**
 * im2col: col[n, c, kh, kw, oh·OW + ow] = padded[n, c, oh·sh + kh·dh, ow·sw + kw·dw], a loop kernel
 * vectorised over output columns (contiguous reads when the stride is 1).
 */
function im2col(nodeName: string, ctx: LowerContext, geo: ConvGeometry, x: string): string {
  const { N, C, H, W, KH, KW, win } = geo;
  const { OH, OW, P } = convGemmDims(geo);
  const padded = padSpatial(ctx, nodeName, x, [N, C, H, W], win.begin, win.end, 0);
  const [, , HP, WP] = padded.shape as [number, number, number, number];
  const [sh, sw] = win.strides as [number, number];
  const [dh, dw] = win.dilations as [number, number];
  const col = ctx.temp(`${nodeName}:im2col`, N * C * KH * KW * P);
  const store = {
    k: 'store' as const,
    buf: col,
    at: affine(
      0,
      ['n', C * KH * KW * P],
      ['c', KH * KW * P],
      ['kh', KW * P],
      ['kw', P],
      ['oh', OW],
      ['ow', 1],
    ),
    value: {
      k: 'load' as const,
      buf: padded.buf,
      at: affine(
        0,
        ['n', C * HP * WP],
        ['c', HP * WP],
        ['oh', sh * WP],
        ['kh', dh * WP],
        ['ow', sw],
        ['kw', dw],
      ),
    },
  };
  ctx.emit({
    kind: 'loops',
    name: 'im2col',
    nodes: [nodeName],
    buffers: [],
    body: [
      loop('n', N, [
        loop('c', C, [
          loop('kh', KH, [loop('kw', KW, [loop('oh', OH, [loop('ow', OW, [store], OW >= 4)])])]),
        ]),
      ]),
    ],
  });
  return col;
}
