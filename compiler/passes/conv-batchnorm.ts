import { attrFloat, attrInt } from '../ir/attrs.js';
import type { Model, Node } from '../ir/graph.js';
import { isFloatDType } from '../../runtime/dtype.js';
import type { PassResult } from './pass.js';
import { NameGen, constantOf, consumers, graphOutputNames, producers, removeNode } from './graph-utils.js';
import { f64, fromF64 } from './tensor-math.js';

/**
 * Folds an inference-mode BatchNormalization that follows a Conv into the Conv's weights and bias:
 * with s = scale/√(var+ε), W' = W·s (per output channel) and B' = (B − mean)·s + bias. The Conv's
 * output must be read only by the BatchNormalization and every parameter must be constant; the
 * folded weights get fresh names (the old ones may be shared). `changed`: BatchNormalizations removed.
 */
export function foldConvBatchNorm(model: Model): PassResult {
  const g = model.graph;
  const names = new NameGen(g);
  let changed = 0;
  for (const bn of [...g.nodes]) {
    if (bn.op !== 'BatchNormalization' || bn.domain !== '') continue;
    if (bn.outputs.slice(1).some((o) => o) || attrInt(bn, 'training_mode', 0) !== 0) continue;
    if (bn.attrs.spatial && attrInt(bn, 'spatial') !== 1) continue;
    const x = bn.inputs[0]!;
    const conv = producers(g).get(x);
    if (!conv || !isPlainConv(conv) || graphOutputNames(g).has(x)) continue;
    if ((consumers(g).get(x) ?? []).length !== 1) continue;
    const w = constantOf(g, conv.inputs[1]!);
    const b = conv.inputs[2] ? constantOf(g, conv.inputs[2]) : undefined;
    const [scale, bias, mean, variance] = bn.inputs.slice(1, 5).map((n) => constantOf(g, n));
    if (!w || !isFloatDType(w.dtype) || (conv.inputs[2] && !b)) continue;
    if (!scale || !bias || !mean || !variance) continue;
    const M = w.shape[0]!;
    if ([scale, bias, mean, variance, ...(b ? [b] : [])].some((t) => t.size !== M)) continue;
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const sc = f64(scale);
    const bi = f64(bias);
    const mu = f64(mean);
    const va = f64(variance);
    const bOld = b ? f64(b) : new Float64Array(M);
    const s = sc.map((v, m) => v / Math.sqrt(va[m]! + eps));
    const wd = f64(w);
    const per = wd.length / M;
    for (let i = 0; i < wd.length; i++) wd[i]! *= s[Math.floor(i / per)]!;
    const bNew = bOld.map((v, m) => (v - mu[m]!) * s[m]! + bi[m]!);
    const wName = names.fresh(`${conv.inputs[1]}_bn`);
    const bName = names.fresh(`${conv.name || 'conv'}_bias_bn`);
    g.initializers.set(wName, fromF64(w.dtype, w.shape, wd));
    g.initializers.set(bName, fromF64(w.dtype, [M], bNew));
    conv.inputs = [conv.inputs[0]!, wName, bName];
    conv.outputs = [bn.outputs[0]!];
    g.valueInfo.delete(x);
    removeNode(g, bn);
    changed++;
  }
  return { changed };
}

/** A Conv (or a kiln.FusedConv that applies no activation yet) whose output is its plain result. */
function isPlainConv(n: Node): boolean {
  if (n.domain === '' && n.op === 'Conv') return true;
  const a = n.attrs.activation;
  return n.domain === 'kiln' && n.op === 'FusedConv' && a?.type === 'string' && a.value === 'none';
}
