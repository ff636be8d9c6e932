import type { Node } from '../../ir/graph.js';
import type { transposeGeometry } from '../../reference/ops/nn/convTranspose.js';
import type { WindowAttrs } from '../../reference/ops/nn/spatial.js';
import { type Stmt, affine } from '../ir.js';
import { packGemmA, packedRows } from '../pack.js';
import type { LowerContext } from './context.js';
import { GEMM_TILE, gemmTileFor } from './gemm.js';

/**
 * A 2-D ConvTranspose whose kernel equals its stride (no padding, dilation 1, no output_padding), with
 * constant weights: kernel positions never overlap, so it is a GEMM per batch item and group,
 * T[(m, kh, kw), h·W + w] = Σ_c W[g·Cg + c, m, kh, kw] · X[n, g·Cg + c, h, w] (A = Wᵀ packed at compile
 * time, B = the input itself), then a copy placing each (kh, kw) plane at (h·s + kh, w·s + kw) plus the
 * bias. Returns false (nothing emitted) for any other geometry, which takes the scatter-add.
 */
export function lowerConvTransposeGemm(
  node: Node,
  ctx: LowerContext,
  xs: number[],
  ws: number[],
  group: number,
  win: WindowAttrs,
  geo: ReturnType<typeof transposeGeometry>,
): boolean {
  const [xName, wName, bName] = node.inputs;
  const wConst = ctx.constant(wName!);
  const bConst = bName ? ctx.constant(bName) : undefined;
  if (ctx.elemType(node, xName!) !== 'f32') return false;
  if (xs.length !== 4 || wConst?.dtype !== 'float32' || (bName && bConst?.dtype !== 'float32')) return false;
  const [N, C, H, W] = xs as [number, number, number, number];
  const [KH, KW] = win.kernel as [number, number];
  const ok =
    win.strides[0] === KH &&
    win.strides[1] === KW &&
    win.dilations.every((d) => d === 1) &&
    geo.padBegin.every((p) => p === 0) &&
    geo.out[0] === H * KH &&
    geo.out[1] === W * KW;
  if (!ok) return false;
  const Cg = C / group;
  const Mg = ws[1]!;
  const M = Mg * group;
  const rows = Mg * KH * KW;
  const P = H * W;
  const w = Float32Array.from(wConst.data as ArrayLike<number>);
  // A per group: [(m, kh, kw), c] = W[g·Cg + c, m, kh, kw], i.e. Wᵀ of the group's [Cg, rows] block
  const a = new Float32Array(group * rows * Cg);
  for (let g = 0; g < group; g++)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < Cg; c++) a[(g * rows + r) * Cg + c] = w[(g * Cg + c) * rows + r]!;
  const { mr } = GEMM_TILE;
  const t = ctx.temp(`${node.name}:planes`, N * M * KH * KW * P);
  ctx.emit({
    kind: 'gemm',
    name: 'conv_transpose_gemm',
    nodes: [node.name],
    buffers: [],
    m: rows,
    n: P,
    k: Cg,
    a: ctx.weight(`${node.name}:W:packed`, packGemmA(a, rows, Cg, mr, group)),
    aLayout: 'packed',
    b: ctx.buffer(xName!),
    bLayout: 'rowmajor',
    biasPer: 'row',
    c: t,
    batch: [
      { count: N, a: 0, b: C * P, c: M * KH * KW * P, bias: 0 },
      { count: group, a: packedRows(rows, mr) * Cg, b: Cg * P, c: rows * P, bias: 0 },
    ].filter((l) => l.count > 1),
    activation: { kind: 'none' },
    tile: gemmTileFor(rows, Cg),
  });
  // Y[n, oc, h·KH + kh, w·KW + kw] = T[n, oc, kh, kw, h, w] + B[oc]; w innermost: contiguous reads
  const [OH, OW] = [H * KH, W * KW];
  const from = affine(
    0,
    ['n', M * KH * KW * P],
    ['o', KH * KW * P],
    ['kh', KW * P],
    ['kw', P],
    ['h', W],
    ['w', 1],
  );
  const to = affine(0, ['n', M * OH * OW], ['o', OH * OW], ['h', KH * OW], ['kh', OW], ['w', KW], ['kw', 1]);
  const load = { k: 'load' as const, buf: t, at: from };
  const b = bName ? ctx.constantBuffer(node, bName) : undefined;
  const value = b
    ? {
        k: 'bin' as const,
        op: 'add' as const,
        a: load,
        b: { k: 'load' as const, buf: b, at: affine(0, ['o', 1]) },
      }
    : load;
  let body: Stmt[] = [{ k: 'store', buf: ctx.activation(node.outputs[0]!, N * M * OH * OW), at: to, value }];
  const loops: [string, number][] = [
    ['n', N],
    ['o', M],
    ['kh', KH],
    ['h', H],
    ['kw', KW],
    ['w', W],
  ];
  for (let i = loops.length - 1; i >= 0; i--)
    body = [{ k: 'loop', v: loops[i]![0], n: loops[i]![1], body, vector: i === loops.length - 1 && W >= 4 }];
  ctx.emit({ kind: 'loops', name: 'conv_transpose_place', nodes: [node.name], buffers: [], body });
  return true;
}
