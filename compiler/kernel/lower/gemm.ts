import { KilnError } from '../../../runtime/errors.js';
import { attrFloat, attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import type { Activation } from '../ir.js';
import { packGemmB, padBias } from '../pack.js';
import { type LowerContext, constantF32 } from './context.js';

/**
 * Tile of the WASM GEMM micro-kernel: 4 rows × 8 columns, 8 accumulators + 2 B vectors + the A splats.
 * 5×8 (10 accumulators, 13 live v128 by the kernel's own order) looked safe under V8's 15 usable xmm
 * registers, but TurboFan unrolls the k loop and hoists the five broadcasts of one copy ahead of its
 * FMAs (17 live), spilling two accumulators to the stack in every other step (seen with
 * --print-wasm-code); 4×8 stays spill-free. bench/gemm.ts on resnet18's conv shapes, relaxed FMA:
 * best 30–33 GFLOP/s at 5×8, 43–45 at 4×8 (2-core Zen 3).
 */
export const GEMM_TILE = { mr: 4, nr: 8 };

/** Past this many bytes of A, the WASM GEMM works in k blocks (KC) so A's block stays in cache. */
const A_BLOCKING_BYTES = 4 << 20;
const KC = 256;

/**
 * The tile for an m×k A (packed weights, as a Conv's): every column panel passes over all of A, so an
 * A far beyond L2 streams from memory once per panel; k blocks of KC keep an MR×KC slice of A in L1
 * and a KC×N block of B in L2 instead. Measured with bench/gemm.ts (2-core Zen 3): resnet18 layer4's
 * 512×49×4608 GEMM (A 9.4 MB) 19.6 → 29.6 GFLOP/s with KC 256, while A ≤ 2.4 MB (layer3, 512³) ran
 * 5–17% slower blocked.
 */
export function gemmTileFor(m: number, k: number): { mr: number; nr: number; kc?: number } {
  return m * k * 4 > A_BLOCKING_BYTES && k > KC ? { ...GEMM_TILE, kc: KC } : GEMM_TILE;
}

/**
 * Gemm / MatMul with a constant B → the GEMM template; B (scaled by alpha) is packed into panels and
 * the bias (C scaled by beta, per output column) padded, both at compile time.
 */
export function lowerGemm(node: Node, ctx: LowerContext, activation: Activation = { kind: 'none' }): void {
  const [aName, bName, cName] = node.inputs;
  const out = node.outputs[0]!;
  const aShape = ctx.shape(node, aName!);
  const bShape = ctx.shape(node, bName!);
  const isGemm = node.op === 'Gemm';
  const transA = isGemm ? attrInt(node, 'transA', 0) : 0;
  const transB = isGemm ? attrInt(node, 'transB', 0) : 0;
  if (transA)
    throw new KilnError('Gemm with transA=1 is not lowered for the wasm target', {
      node: node.name,
      op: node.op,
      expected: 'transA=0',
    });
  if (bShape.length !== 2) {
    throw new KilnError(`B has rank ${bShape.length}`, {
      node: node.name,
      op: node.op,
      expected: 'a 2-D constant B on the wasm target',
    });
  }
  const k = aShape[aShape.length - 1]!;
  const m = aShape.slice(0, -1).reduce((x, y) => x * y, 1);
  const n = transB ? bShape[0]! : bShape[1]!;
  const alpha = isGemm ? attrFloat(node, 'alpha', 1) : 1;
  const beta = isGemm ? attrFloat(node, 'beta', 1) : 1;
  let b = constantF32(ctx, node, bName!, 'B');
  if (alpha !== 1) b = b.map((v) => v * alpha);
  let bias: Float32Array | undefined;
  if (cName) {
    const cShape = ctx.shape(node, cName);
    const cData = constantF32(ctx, node, cName, 'C');
    const size = cData.length;
    if (size === 1) bias = new Float32Array(n).fill(cData[0]! * beta);
    else if (size === n && (cShape.length === 1 || cShape[0] === 1)) bias = cData.map((v) => v * beta);
    else
      throw new KilnError(`C of shape [${cShape}] is not a per-column bias`, {
        node: node.name,
        op: node.op,
        expected: `shape [${n}] or [1,${n}]`,
      });
  }
  const bPacked = ctx.weight(`${bName}:packed`, packGemmB(b, k, n, GEMM_TILE.nr, transB === 1));
  const biasBuf = bias ? ctx.weight(`${cName}:bias`, padBias(bias, n, GEMM_TILE.nr)) : undefined;
  const c = ctx.activation(out, m * n);
  ctx.emit({
    kind: 'gemm',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    m,
    n,
    k,
    a: ctx.buffer(aName!),
    aLayout: 'rowmajor',
    b: bPacked,
    bLayout: 'packed',
    ...(biasBuf ? { bias: biasBuf } : {}),
    biasPer: 'column',
    c,
    activation,
    tile: GEMM_TILE,
  });
}
