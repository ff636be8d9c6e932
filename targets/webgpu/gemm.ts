import type { GemmBatch, GemmKernel } from '../../compiler/kernel/ir.js';
import type { Dispatch } from './dispatch.js';
import { batchBase, batchItems, epilogue } from './gemm-parts.js';
import { DIRECT_CONV_MAX_M, convGather, renderDirectConv } from './conv.js';
import {
  F16_FN,
  OPAQUE_ZERO,
  type Places,
  type Precision,
  bindingsFor,
  place,
  storeWord,
  usesF16,
} from './wgsl.js';

/**
 * The GEMM template as a tiled compute shader: a workgroup of 8×8 threads computes a 32×32 block of
 * C, each thread a 4×4 micro-tile in registers; A (32×16) and B (16×32) tiles are staged in workgroup
 * memory each k step. The CPU layouts of the kernel IR (packed A tiles, packed B panels, row-major
 * with a stride) are read through address functions, so the lowering is shared with the WASM target.
 * A convolution's B (bLayout 'conv') is gathered from its unpadded input as the tile is staged
 * (implicit GEMM, conv.ts); one with few output channels per group (depthwise) is a direct shader.
 * Batch items (and conv groups) are the z dimension of the grid. In an fp16 build, f16 operands are
 * staged as f16 (half the workgroup memory) and every product is accumulated in f32; bias and
 * activation are applied in f32 and C is stored as f16 (saturated at ±65504).
 */
const TM = 4;
const TN = 4;
const WG = 8;
const BM = TM * WG;
const BN = TN * WG;
const BK = 16;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export function renderGemm(
  g: GemmKernel,
  places: Places,
  name: string,
  precision: Precision = 'fp32',
): Dispatch {
  if (g.bLayout === 'conv' && g.m <= DIRECT_CONV_MAX_M) return renderDirectConv(g, places, name, precision);
  const a = place(places, g.a);
  const b = place(places, g.b);
  const c = place(places, g.c);
  const bias = g.bias !== undefined ? place(places, g.bias) : undefined;
  const batch = g.batch ?? [];
  const items = batchItems(batch, name);
  const bases = (pick: (l: GemmBatch) => number, offset: number) => batchBase(batch, pick, offset);
  const mr = g.tile.mr;
  const nr = g.tile.nr;
  const ldb = g.ldb ?? g.n;
  const aAt =
    g.aLayout === 'packed'
      ? `aBase + (m / ${mr}) * ${mr * g.k} + k * ${mr} + m % ${mr}`
      : `aBase + m * ${g.k} + k`;
  const bLoad =
    g.bLayout === 'conv'
      ? convGather(g, b.binding)
      : `v = ${b.binding}[${
          g.bLayout === 'packed'
            ? `bBase + ((n / ${nr}) * ${g.k} + k) * ${nr} + n % ${nr}`
            : `bBase + k * ${ldb} + n`
        }];`;
  const biasAt = g.biasPer === 'column' ? 'n' : 'm';
  const tA = a.type === 'f16' ? 'f16' : 'f32';
  const tB = b.type === 'f16' ? 'f16' : 'f32';
  const zero = (t: string) => (t === 'f16' ? '0.0h' : '0.0f');
  const wide = (t: string, v: string) => (t === 'f16' ? `f32(${v})` : v);
  const source = `${bindingsFor(precision)}
const M = ${g.m};
const N = ${g.n};
const K = ${g.k};
var<workgroup> tileA: array<${tA}, ${BK * BM}>;
var<workgroup> tileB: array<${tB}, ${BK * BN}>;

@compute @workgroup_size(${WG}, ${WG}, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let z = wid.z;
  ${OPAQUE_ZERO}
  let aBase = ${bases((l) => l.a, a.offset)};
  let bBase = ${bases((l) => l.b, b.offset)};
  let cBase = ${bases((l) => l.c, c.offset)};
  let biasBase = ${bias ? bases((l) => l.bias, bias.offset) : '0'};
  let row0 = i32(wid.y) * ${BM};
  let col0 = i32(wid.x) * ${BN};
  let tid = i32(lid.y * ${WG}u + lid.x);
${range(TM * TN)
  .map((x) => `  var acc${x}: f32 = 0.0f;`)
  .join('\n')}
  let ty = i32(lid.y) * ${TM};
  let tx = i32(lid.x) * ${TN};
  for (var k0 = 0; k0 < K + zero; k0 += ${BK}) {
    for (var l = 0; l < ${(BK * BM) / (WG * WG)} + zero; l++) {
      let e = tid + l * ${WG * WG};
      let r = e / ${BK};
      let kk = e % ${BK};
      let m = row0 + r;
      let k = k0 + kk;
      var v = ${zero(tA)};
      if (m < M && k < K) { v = ${a.binding}[${aAt}]; }
      tileA[kk * ${BM} + r] = v;
    }
    for (var l = 0; l < ${(BK * BN) / (WG * WG)} + zero; l++) {
      let e = tid + l * ${WG * WG};
      let kk = e / ${BN};
      let cc = e % ${BN};
      let n = col0 + cc;
      let k = k0 + kk;
      var v = ${zero(tB)};
      if (n < N && k < K) { ${bLoad} }
      tileB[kk * ${BN} + cc] = v;
    }
    workgroupBarrier();
    for (var kk = 0; kk < ${BK} + zero; kk++) {
${range(TM)
  .map((i) => `      let a${i} = ${wide(tA, `tileA[kk * ${BM} + ty + ${i}]`)};`)
  .join('\n')}
${range(TN)
  .map((j) => `      let b${j} = ${wide(tB, `tileB[kk * ${BN} + tx + ${j}]`)};`)
  .join('\n')}
${range(TM * TN)
  .map((x) => `      acc${x} = fma(a${Math.floor(x / TN)}, b${x % TN}, acc${x});`)
  .join('\n')}
    }
    workgroupBarrier();
  }
${range(TM * TN)
  .map((x) => `  store(cBase, biasBase, row0 + ty + ${Math.floor(x / TN)}, col0 + tx + ${x % TN}, acc${x});`)
  .join('\n')}
}

fn store(cBase: i32, biasBase: i32, m: i32, n: i32, acc: f32) {
  if (m >= M || n >= N) { return; }
  var v = acc${bias ? ` + ${wide(bias.type === 'f16' ? 'f16' : 'f32', `${bias.binding}[biasBase + ${biasAt}]`)}` : ''};
  v = ${epilogue(g.activation)};
  ${c.binding}[cBase + m * N + n] = ${storeWord(c, 'v')};
}
`;
  return {
    name,
    source: usesF16(source) ? source + F16_FN : source,
    workgroups: [Math.ceil(g.n / BN), Math.ceil(g.m / BM), items],
  };
}
