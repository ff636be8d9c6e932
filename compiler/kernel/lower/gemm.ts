import { KilnError } from '../../../runtime/errors.js';
import { attrFloat, attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import type { Activation } from '../ir.js';
import { packGemmB, padBias } from '../pack.js';
import { type LowerContext, constantF32 } from './context.js';

/** Tile of the WASM GEMM micro-kernel (5 rows × 8 columns: 10 accumulators, 15 live v128 at most). */
export const GEMM_TILE = { mr: 5, nr: 8 };

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
