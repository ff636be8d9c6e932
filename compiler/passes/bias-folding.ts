import { attrFloat } from '../ir/attrs.js';
import type { Graph, Model, Node, TypeInfo } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import { isFloatDType } from '../../runtime/dtype.js';
import type { Tensor } from '../../runtime/tensor.js';
import { broadcastShapes } from '../reference/ops/common.js';
import type { PassResult } from './pass.js';
import { KILN_DOMAIN, importKilnDomain } from './pass.js';
import { NameGen, constantOf, consumers, graphOutputNames, producers, removeNode } from './graph-utils.js';
import { broadcastF64, broadcastsOnto, f64, fromF64 } from './tensor-math.js';

/**
 * Folds the Add of a constant bias into the op before it: Conv (per-channel bias into B), Gemm
 * (into C, beta becomes 1), 2-D MatMul (becomes Gemm with C) and other MatMuls (become
 * kiln.FusedMatMul with a bias input). A Conv also absorbs a Mul by a scalar or per-channel
 * constant (W and B scaled), as exporters write affine blocks after a convolution. The product must
 * be read only by the Add/Mul; the rewritten op writes its output name. `changed`: nodes folded.
 */
export function foldBiasAdds(model: Model): PassResult {
  const g = model.graph;
  const { types } = inferShapes(model);
  const names = new NameGen(g);
  const opset = model.opsetImports.get('') ?? 1;
  let changed = 0;
  for (const add of [...g.nodes]) {
    if ((add.op !== 'Add' && add.op !== 'Mul') || add.domain !== '' || add.inputs.length !== 2) continue;
    if (opset < 7 && add.attrs.broadcast) continue; // legacy axis-aligned broadcasting
    for (const side of [0, 1]) {
      const y = add.inputs[side]!;
      const bias = constantOf(g, add.inputs[1 - side]!);
      const prod = producers(g).get(y);
      if (!bias || !prod || prod.outputs.length !== 1 || graphOutputNames(g).has(y)) continue;
      if ((consumers(g).get(y) ?? []).length !== 1) continue;
      const t = types.get(y);
      if (!t || !isFloatDType(t.dtype) || bias.dtype !== t.dtype) continue;
      const folded =
        add.op === 'Add'
          ? fold(g, prod, bias, t, types, names, opset)
          : isOp(prod, 'Conv') && foldConvScale(g, prod, bias, t.shape?.length, names);
      if (!folded) continue;
      prod.outputs = [add.outputs[0]!];
      if (prod.domain === KILN_DOMAIN) importKilnDomain(model);
      g.valueInfo.delete(y);
      removeNode(g, add);
      changed++;
      break;
    }
  }
  return { changed };
}

/** Rewrite `prod` to include `bias`; false (nothing changed) when the bias does not fit. */
function fold(
  g: Graph,
  prod: Node,
  bias: Tensor,
  out: TypeInfo,
  types: Map<string, TypeInfo>,
  names: NameGen,
  opset: number,
): boolean {
  const shape = out.shape;
  if (!shape) return false;
  const fresh = (t: Tensor) => {
    const name = names.fresh(`${prod.name || prod.op}_bias`);
    g.initializers.set(name, t);
    return name;
  };
  if (isOp(prod, 'Conv')) return foldConv(g, prod, bias, shape.length, fresh);
  if (isOp(prod, 'Gemm')) return foldGemm(g, prod, bias, shape, fresh);
  if (prod.domain !== '' || prod.op !== 'MatMul' || !broadcastsOnto(bias.shape, shape)) return false;
  const ranks = prod.inputs.map((i) => types.get(i)?.shape?.length);
  // Gemm before opset 7 broadcasts C only with its `broadcast` flag: keep those models on FusedMatMul.
  if (ranks[0] === 2 && ranks[1] === 2 && opset >= 7) {
    prod.op = 'Gemm';
    prod.inputs = [...prod.inputs, fresh(bias)];
    return true;
  }
  prod.op = 'FusedMatMul';
  prod.domain = KILN_DOMAIN;
  prod.inputs = [...prod.inputs, fresh(bias)];
  prod.attrs = { ...prod.attrs, activation: { type: 'string', value: 'none' } };
  return true;
}

function isOp(n: Node, op: string): boolean {
  return n.domain === '' && n.op === op;
}

/** Values of a scalar or [1, M, 1, ...] (or shorter, right-aligned) constant per output channel. */
function perChannel(t: Tensor, M: number, rank: number): Float64Array | undefined {
  if (t.rank > rank) return undefined;
  const full = [...Array<number>(rank - t.rank).fill(1), ...t.shape];
  if (full.some((d, i) => (i === 1 ? d !== 1 && d !== M : d !== 1))) return undefined;
  return broadcastF64(t, [1, M, ...Array<number>(rank - 2).fill(1)]);
}

/** Conv(x)·s = Conv with W·s and B·s, per output channel. */
function foldConvScale(
  g: Graph,
  conv: Node,
  scale: Tensor,
  rank: number | undefined,
  names: NameGen,
): boolean {
  const w = constantOf(g, conv.inputs[1]!);
  const old = conv.inputs[2] ? constantOf(g, conv.inputs[2]) : undefined;
  if (!w || rank === undefined || (conv.inputs[2] && !old)) return false;
  const M = w.shape[0]!;
  const s = perChannel(scale, M, rank);
  if (!s) return false;
  const wd = f64(w);
  const per = wd.length / M;
  for (let i = 0; i < wd.length; i++) wd[i]! *= s[Math.floor(i / per)]!;
  const wName = names.fresh(`${conv.inputs[1]}_scaled`);
  g.initializers.set(wName, fromF64(w.dtype, w.shape, wd));
  conv.inputs = [conv.inputs[0]!, wName, ...conv.inputs.slice(2)];
  if (old) {
    const b = f64(old).map((v, m) => v * s[m]!);
    const bName = names.fresh(`${conv.inputs[2]}_scaled`);
    g.initializers.set(bName, fromF64(old.dtype, [M], b));
    conv.inputs[2] = bName;
  }
  return true;
}

/** A bias of shape [1, M, 1, ...] (or shorter, right-aligned) adds one value per output channel. */
function foldConv(g: Graph, conv: Node, bias: Tensor, rank: number, fresh: (t: Tensor) => string): boolean {
  const w = constantOf(g, conv.inputs[1]!);
  if (!w) return false;
  const M = w.shape[0]!;
  const add = perChannel(bias, M, rank);
  if (!add) return false;
  const old = conv.inputs[2] ? constantOf(g, conv.inputs[2]) : undefined;
  if (conv.inputs[2] && !old) return false;
  const b = old ? f64(old) : new Float64Array(M);
  for (let m = 0; m < M; m++) b[m]! += add[m]!;
  conv.inputs = [conv.inputs[0]!, conv.inputs[1]!, fresh(fromF64(bias.dtype, [M], b))];
  return true;
}

/** C' = beta·C + bias at their common (still one-way) broadcast shape; beta becomes 1. */
function foldGemm(
  g: Graph,
  gemm: Node,
  bias: Tensor,
  shape: readonly (number | string)[],
  fresh: (t: Tensor) => string,
): boolean {
  const old = gemm.inputs[2] ? constantOf(g, gemm.inputs[2]) : undefined;
  if ((gemm.inputs[2] && !old) || !broadcastsOnto(bias.shape, shape)) return false;
  const target = old ? broadcastShapes(gemm, old.shape, bias.shape) : [...bias.shape];
  if (!broadcastsOnto(target, shape)) return false;
  const beta = attrFloat(gemm, 'beta', 1);
  const c = old ? broadcastF64(old, target) : new Float64Array(bias.size);
  const b = broadcastF64(bias, target);
  const sum = c.map((v, i) => beta * v + b[i]!);
  gemm.inputs = [gemm.inputs[0]!, gemm.inputs[1]!, fresh(fromF64(bias.dtype, target, sum))];
  gemm.attrs = { ...gemm.attrs, beta: { type: 'float', value: 1 } };
  return true;
}
