import { attrInt, attrIntsOpt } from '../ir/attrs.js';
import type { Dim, Graph, Model, Node } from '../ir/graph.js';
import { inferShapes } from '../ir/infer.js';
import { type DType, isFloatDType } from '../../runtime/dtype.js';
import { type Tensor, shapeSize } from '../../runtime/tensor.js';
import type { PassResult } from './pass.js';
import { KILN_DOMAIN, importKilnDomain } from './pass.js';
import {
  NameGen,
  constantOf,
  consumers,
  graphOutputNames,
  removeNode,
  scalarConstant,
} from './graph-utils.js';
import { broadcastF64, broadcastsOnto, fromF64 } from './tensor-math.js';

/**
 * Recognises LayerNormalization written out as PyTorch/TF/Paddle export it:
 *   m = ReduceMean(x, trailing axes); d = x − m; v = ReduceMean(d², same axes)   [d² as Pow(d, 2) or d·d]
 *   y = d / √(v + ε), optionally · γ and + β (constants)
 * and replaces it by LayerNormalization (opset 17+) or kiln.LayerNormalization (same semantics).
 * The axes must be the trailing ones and γ/β must broadcast over them only. `changed`: patterns replaced.
 */
export function recognizeLayerNorm(model: Model): PassResult {
  const g = model.graph;
  const { types } = inferShapes(model);
  const opset = model.opsetImports.get('') ?? 1;
  // Before opset 7 the Sub/Div of the pattern broadcast with legacy axis rules: leave such models be.
  if (opset < 7) return { changed: 0 };
  const names = new NameGen(g);
  let changed = 0;
  for (const sub of [...g.nodes]) {
    if (!g.nodes.includes(sub)) continue;
    const m = match(
      g,
      sub,
      opset,
      (v) => types.get(v)?.shape,
      (v) => types.get(v)?.dtype,
    );
    if (!m) continue;
    const inputs = [m.x, names.fresh(`${sub.name || 'ln'}_scale`)];
    g.initializers.set(inputs[1]!, m.scale);
    if (m.bias) {
      inputs.push(names.fresh(`${sub.name || 'ln'}_bias`));
      g.initializers.set(inputs[2]!, m.bias);
    }
    const onnx = opset >= 17;
    const ln: Node = {
      name: names.fresh(`${sub.name || 'ln'}_layernorm`),
      op: 'LayerNormalization',
      domain: onnx ? '' : KILN_DOMAIN,
      inputs,
      outputs: [m.output],
      attrs: { axis: { type: 'int', value: m.axis }, epsilon: { type: 'float', value: m.epsilon } },
    };
    g.nodes.splice(g.nodes.indexOf(m.nodes[0]!), 0, ln);
    for (const n of m.nodes) {
      removeNode(g, n);
      if (n.outputs[0] !== m.output) g.valueInfo.delete(n.outputs[0]!);
    }
    if (!onnx) importKilnDomain(model);
    changed++;
  }
  return { changed };
}

interface LayerNormMatch {
  x: string;
  axis: number;
  epsilon: number;
  scale: Tensor;
  bias?: Tensor;
  nodes: Node[];
  output: string;
}

/** Match the pattern whose Sub node is `sub`; every intermediate must be read only inside it. */
function match(
  g: Graph,
  sub: Node,
  opset: number,
  shapeOf: (v: string) => Dim[] | undefined,
  dtypeOf: (v: string) => DType | undefined,
): LayerNormMatch | undefined {
  if (!is(sub, 'Sub')) return undefined;
  const [x, mean] = sub.inputs as [string, string];
  const uses = consumers(g);
  const outs = graphOutputNames(g);
  const only = (v: string, n: number) => !outs.has(v) && (uses.get(v) ?? []).length === n;
  const single = (v: string, op: string) => {
    const c = uses.get(v) ?? [];
    return c.length === 1 && is(c[0]!, op) && !outs.has(v) ? c[0]! : undefined;
  };
  const xShape = shapeOf(x);
  const dtype = dtypeOf(x);
  if (!xShape || !dtype || !isFloatDType(dtype)) return undefined;
  const rm1 = g.nodes.find((n) => n.outputs[0] === mean);
  const axes =
    rm1 && is(rm1, 'ReduceMean') && rm1.inputs[0] === x
      ? reduceAxes(g, rm1, opset, xShape.length)
      : undefined;
  if (!rm1 || !axes || !only(mean, 1)) return undefined;
  const d = sub.outputs[0]!;
  const dUses = uses.get(d) ?? [];
  if (outs.has(d) || dUses.length < 2 || dUses.length > 3) return undefined;
  const square = dUses.find(
    (n) =>
      (is(n, 'Pow') && scalarConstant(g, n.inputs[1]!) === 2) ||
      (is(n, 'Mul') && n.inputs[0] === d && n.inputs[1] === d),
  );
  const div = dUses.find((n) => is(n, 'Div') && n.inputs[0] === d);
  if (!square || !div || dUses.length !== 2) return undefined;
  const rm2 = single(square.outputs[0]!, 'ReduceMean');
  const rm2Axes = rm2 ? reduceAxes(g, rm2, opset, xShape.length) : undefined;
  if (!rm2 || !rm2Axes || rm2Axes.join() !== axes.join()) return undefined;
  const addEps = single(rm2.outputs[0]!, 'Add');
  const epsName = addEps?.inputs.find((i) => i !== rm2.outputs[0]);
  const epsilon = epsName !== undefined ? scalarConstant(g, epsName) : undefined;
  if (!addEps || epsilon === undefined) return undefined;
  const sqrt = single(addEps.outputs[0]!, 'Sqrt');
  if (!sqrt || div.inputs[1] !== sqrt.outputs[0] || !only(sqrt.outputs[0]!, 1)) return undefined;
  const nodes = [rm1, sub, square, rm2, addEps, sqrt, div];
  const normShape = xShape.slice(axes[0]);
  let output = div.outputs[0]!;
  const constOperand = (op: string) => {
    const n = single(output, op);
    const c = n && constantOf(g, n.inputs.find((i) => i !== output) ?? '');
    return n && c && c.dtype === dtype ? { n, c } : undefined;
  };
  // The normalised shape: static in x's type, or else γ's full shape (no broadcast dims), which the
  // Mul must match at run time anyway.
  let mul = constOperand('Mul');
  let dims = normShape.every((d) => typeof d === 'number') ? (normShape as number[]) : undefined;
  if (
    !dims &&
    mul &&
    mul.c.rank === normShape.length &&
    mul.c.shape.every((d, i) => d !== 1 && (typeof normShape[i] !== 'number' || d === normShape[i]))
  )
    dims = [...mul.c.shape];
  if (!dims) return undefined;
  const fits = (c: Tensor) => broadcastsOnto(c.shape, dims);
  if (mul && !fits(mul.c)) mul = undefined;
  let scale = fromF64(dtype, dims, new Float64Array(shapeSize(dims)).fill(1));
  if (mul) {
    scale = fromF64(dtype, dims, broadcastF64(mul.c, dims));
    nodes.push(mul.n);
    output = mul.n.outputs[0]!;
  }
  const add = constOperand('Add');
  let bias: Tensor | undefined;
  if (add && fits(add.c)) {
    bias = fromF64(dtype, dims, broadcastF64(add.c, dims));
    nodes.push(add.n);
    output = add.n.outputs[0]!;
  }
  return { x, axis: axes[0]!, epsilon, scale, bias, nodes, output };
}

function is(n: Node, op: string): boolean {
  return n.domain === '' && n.op === op && n.outputs.length === 1;
}

/** The axes of a keepdims ReduceMean if they are the trailing axes of a rank-`rank` input. */
function reduceAxes(g: Graph, n: Node, opset: number, rank: number): number[] | undefined {
  if (attrInt(n, 'keepdims', 1) !== 1) return undefined;
  let axes = opset >= 18 ? undefined : attrIntsOpt(n, 'axes');
  if (opset >= 18 && n.inputs[1]) {
    const t = constantOf(g, n.inputs[1]);
    axes = t ? Array.from(t.data as ArrayLike<number | bigint>, Number) : undefined;
  }
  if (!axes || axes.length === 0) return undefined;
  const norm = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  return norm.every((a, i) => a === rank - norm.length + i) ? norm : undefined;
}
