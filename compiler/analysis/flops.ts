import type { Dim, Model, Node, TypeInfo } from '../ir/graph.js';
import { attrInt } from '../ir/attrs.js';

/** Number of elements if the shape is fully known. */
function numel(t: TypeInfo | undefined): number | undefined {
  if (!t?.shape) return undefined;
  let n = 1;
  for (const d of t.shape as Dim[]) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/**
 * Estimated floating-point operations of one node (a multiply-add counts 2). Convolutions and matrix
 * products dominate real models and are counted exactly from shapes; other ops count one op per
 * output element. Undefined when shapes are not known.
 */
export function nodeFlops(node: Node, types: Map<string, TypeInfo>): number | undefined {
  const t = (i: number) => (node.inputs[i] ? types.get(node.inputs[i]!) : undefined);
  const out = node.outputs[0] ? types.get(node.outputs[0]) : undefined;
  const outN = numel(out);
  switch (node.op) {
    case 'Conv':
    case 'ConvInteger':
    case 'QLinearConv': {
      const w = t(node.op === 'QLinearConv' ? 3 : 1);
      const wn = numel(w);
      const cout = w?.shape?.[0];
      if (outN === undefined || wn === undefined || typeof cout !== 'number' || cout === 0) return undefined;
      return 2 * outN * (wn / cout);
    }
    case 'ConvTranspose': {
      const x = numel(t(0));
      const w = t(1);
      const wn = numel(w);
      const cin = w?.shape?.[0];
      if (x === undefined || wn === undefined || typeof cin !== 'number' || cin === 0) return undefined;
      return 2 * x * (wn / cin);
    }
    case 'MatMul':
    case 'MatMulInteger':
    case 'QLinearMatMul':
    case 'Gemm': {
      const a = t(0);
      const k = a?.shape
        ? a.shape[node.op === 'Gemm' && hasTransA(node) ? 0 : a.shape.length - 1]
        : undefined;
      if (outN === undefined || typeof k !== 'number') return undefined;
      return 2 * outN * k;
    }
    default:
      return outN;
  }
}

function hasTransA(node: Node): boolean {
  return attrInt(node, 'transA', 0) !== 0;
}

export function modelFlops(
  model: Model,
  types: Map<string, TypeInfo>,
): { flops: number; unknownNodes: number } {
  let flops = 0;
  let unknownNodes = 0;
  for (const n of model.graph.nodes) {
    if (n.op === 'Constant') continue;
    const f = nodeFlops(n, types);
    if (f === undefined) unknownNodes++;
    else flops += f;
  }
  return { flops, unknownNodes };
}
