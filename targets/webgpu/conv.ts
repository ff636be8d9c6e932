import type { ConvGather, GemmKernel } from '../../compiler/kernel/ir.js';
import type { Dispatch } from './dispatch.js';
import { batchBase, batchItems, epilogue } from './gemm-parts.js';
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
 * Convolutions as the lowering gives them to targets that ask for implicit GEMMs (GemmKernel bLayout
 * 'conv'): B[k, n] is never stored; it is read from the unpadded input, k → (c, kh, kw) and
 * n → (oh, ow), a tap outside the input reading 0 (the padding) — so the padded copy and the im2col
 * buffer of the wasm lowering, and their arena bytes and memory traffic, do not exist.
 */

/** GEMMs with at most this many rows (output channels per group: depthwise convs) render directly. */
export const DIRECT_CONV_MAX_M = 4;

function gatherOf(g: GemmKernel): ConvGather {
  if (!g.conv) throw new Error(`internal error: GEMM '${g.name}' gathers a conv's B without its geometry`);
  return g.conv;
}

/**
 * WGSL that sets `v` to B[k, n] (i32 `k`, `n`, in range; `bBase` the item's input) when the tap is
 * inside the input, leaving `v` (zero) otherwise: the GEMM template stages B tiles with it.
 */
export function convGather(g: GemmKernel, binding: string): string {
  const { kernel, in: size, strides, dilations, pads, outWidth } = gatherOf(g);
  const [KH, KW] = kernel;
  const [H, W] = size;
  return `let gc = k / ${KH * KW};
        let gr = k % ${KH * KW};
        let ih = (n / ${outWidth}) * ${strides[0]} - ${pads[0]} + (gr / ${KW}) * ${dilations[0]};
        let iw = (n % ${outWidth}) * ${strides[1]} - ${pads[1]} + (gr % ${KW}) * ${dilations[1]};
        if (ih >= 0 && ih < ${H} && iw >= 0 && iw < ${W}) { v = ${binding}[bBase + gc * ${H * W} + ih * ${W} + iw]; }`;
}

/**
 * A conv with few output channels per group (depthwise: one) as a direct shader: one thread per
 * output (grid x: positions, y: channel in the group, z: batch item × group), summing its window over
 * the group's input channels in f32; taps outside the input are skipped. The GEMM tile would leave
 * 31 of its 32 rows idle here.
 */
export function renderDirectConv(
  g: GemmKernel,
  places: Places,
  name: string,
  precision: Precision = 'fp32',
): Dispatch {
  const { channels, kernel, in: size, strides, dilations, pads, outWidth } = gatherOf(g);
  const [KH, KW] = kernel;
  const [H, W] = size;
  const a = place(places, g.a);
  const b = place(places, g.b);
  const c = place(places, g.c);
  const bias = g.bias !== undefined ? place(places, g.bias) : undefined;
  const batch = g.batch ?? [];
  const items = batchItems(batch, name);
  const wide = (p: { type?: string }, v: string) => (p.type === 'f16' ? `f32(${v})` : v);
  const aAt =
    g.aLayout === 'packed'
      ? `aBase + (m / ${g.tile.mr}) * ${g.tile.mr * g.k} + k * ${g.tile.mr} + m % ${g.tile.mr}`
      : `aBase + m * ${g.k} + k`;
  const biasAt = g.biasPer === 'column' ? 'n' : 'm';
  const source = `${bindingsFor(precision)}
@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let z = wid.z;
  let n = i32(gid.x);
  let m = i32(wid.y);
  if (n >= ${g.n}) { return; }
  ${OPAQUE_ZERO}
  let aBase = ${batchBase(batch, (l) => l.a, a.offset)};
  let bBase = ${batchBase(batch, (l) => l.b, b.offset)};
  let cBase = ${batchBase(batch, (l) => l.c, c.offset)};
  let ih0 = (n / ${outWidth}) * ${strides[0]} - ${pads[0]};
  let iw0 = (n % ${outWidth}) * ${strides[1]} - ${pads[1]};
  var acc = 0.0f;
  for (var ch = 0; ch < ${channels} + zero; ch++) {
    for (var kh = 0; kh < ${KH}; kh++) {
      let ih = ih0 + kh * ${dilations[0]};
      if (ih < 0 || ih >= ${H}) { continue; }
      for (var kw = 0; kw < ${KW}; kw++) {
        let iw = iw0 + kw * ${dilations[1]};
        if (iw >= 0 && iw < ${W}) {
          let k = (ch * ${KH} + kh) * ${KW} + kw;
          let x = ${wide(b, `${b.binding}[bBase + ch * ${H * W} + ih * ${W} + iw]`)};
          acc = fma(${wide(a, `${a.binding}[${aAt}]`)}, x, acc);
        }
      }
    }
  }
  var v = acc${bias ? ` + ${wide(bias, `${bias.binding}[${batchBase(batch, (l) => l.bias, bias.offset)} + ${biasAt}]`)}` : ''};
  v = ${epilogue(g.activation)};
  ${c.binding}[cBase + m * ${g.n} + n] = ${storeWord(c, 'v')};
}
`;
  return {
    name,
    source: usesF16(source) ? source + F16_FN : source,
    workgroups: [Math.ceil(g.n / 64), g.m, items],
  };
}
