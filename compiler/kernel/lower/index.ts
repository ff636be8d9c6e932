import { KilnError } from '../../../runtime/errors.js';
import { attrFloat } from '../../ir/attrs.js';
import type { Model, Node } from '../../ir/graph.js';
import { inferShapes } from '../../ir/infer.js';
import { topoOrder } from '../../ir/topo.js';
import type { Activation, Kernel } from '../ir.js';
import { type BufferInfo, LowerContext } from './context.js';
import { lowerArgExtreme } from './argmax.js';
import { lowerConv } from './conv.js';
import { checkDtypes } from './dtypes.js';
import { lowerDepthToSpace, lowerExpand, lowerSpaceToDepth, lowerSplit, lowerTile } from './copies.js';
import { isElementwise, lowerElementwise } from './elementwise.js';
import { lowerMatMul } from './matmul.js';
import { lowerKilnOp } from './kiln.js';
import { lowerConcat, lowerCopy, lowerGather, lowerSlice, lowerTranspose } from './movement.js';
import { lowerInstanceNorm, lowerLRN, lowerMVN } from './norm.js';
import { as2d } from './one-d.js';
import { lowerPad } from './pad.js';
import { lowerResize } from './resize.js';
import { lowerPool } from './pool.js';
import { REDUCE_OPS, lowerBatchNorm, lowerLayerNorm, lowerReduce, lowerSoftmax } from './reduce.js';

export interface LoweredModel {
  kernels: Kernel[];
  buffers: Map<string, BufferInfo>;
  /** Non-float32 values (bool 0/1, ArgMax/ArgMin int64 indices) are floats in memory; see dtypes.ts. */
  inputs: { name: string; buffer: string; shape: number[]; dtype: 'float32' | 'int64' | 'bool' }[];
  outputs: { name: string; buffer: string; shape: number[]; dtype: 'float32' | 'int64' | 'bool' }[];
}

/** Ops that only reinterpret the shape: their output shares the input's buffer. */
const VIEWS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

type Lowering = (node: Node, ctx: LowerContext, activation?: Activation) => void;

const LOWERINGS: Record<string, Lowering> = {
  ...Object.fromEntries(REDUCE_OPS.map((op) => [op, lowerReduce])),
  Gemm: lowerMatMul,
  MatMul: lowerMatMul,
  Conv: as2d(lowerConv),
  MaxPool: as2d(lowerPool),
  AveragePool: as2d(lowerPool),
  Softmax: lowerSoftmax,
  LogSoftmax: lowerSoftmax,
  Hardmax: lowerSoftmax,
  LayerNormalization: lowerLayerNorm,
  BatchNormalization: lowerBatchNorm,
  Concat: lowerConcat,
  Transpose: lowerTranspose,
  Slice: lowerSlice,
  Gather: lowerGather,
  Expand: lowerExpand,
  Tile: lowerTile,
  DepthToSpace: lowerDepthToSpace,
  SpaceToDepth: lowerSpaceToDepth,
  Split: lowerSplit,
  Pad: lowerPad,
  InstanceNormalization: lowerInstanceNorm,
  LRN: lowerLRN,
  MeanVarianceNormalization: lowerMVN,
  Resize: lowerResize,
  ArgMax: lowerArgExtreme,
  ArgMin: lowerArgExtreme,
};

/** Activations a Conv/Gemm/MatMul can apply in its epilogue, when it is their only consumer. */
function epilogueOf(node: Node, ctx: LowerContext): Activation | undefined {
  switch (node.op) {
    case 'Relu':
      return { kind: 'relu' };
    case 'LeakyRelu':
      return { kind: 'leaky_relu', alpha: attrFloat(node, 'alpha', 0.01) };
    case 'Clip': {
      const read = (i: number, d: number) => {
        const t = node.inputs[i] ? ctx.constant(node.inputs[i]!) : undefined;
        if (node.inputs[i] && !t) return undefined;
        return t ? Number((t.data as ArrayLike<number>)[0]) : d;
      };
      const min = node.attrs.min?.type === 'float' ? node.attrs.min.value : read(1, -Infinity);
      const max = node.attrs.max?.type === 'float' ? node.attrs.max.value : read(2, Infinity);
      return min === undefined || max === undefined ? undefined : { kind: 'clip', min, max };
    }
    default:
      return undefined;
  }
}

/**
 * Lower a model (static shapes, float32 activations) to kernels for the WASM target. Every node either
 * becomes kernels, aliases its input (views) or was folded to a constant; anything else is a
 * compile-time KilnError naming the op and node.
 */
export function lowerModel(model: Model): LoweredModel {
  const g = model.graph;
  const report = inferShapes(model);
  const ctx = new LowerContext(report.types, report.constants, model.opsetImports);
  // Initializers also listed as graph inputs (IR < 4 defaults) are compiled in as weights.
  // Ops that read buffers directly (movement) then find them through an alias to the weight.
  for (const [name, t] of g.initializers) {
    if (ctx.constants.has(name)) continue;
    ctx.constants.set(name, t);
    if (t.dtype === 'float32') ctx.alias(name, ctx.weight(name, t.data as Float32Array));
  }
  const graphInputs = g.inputs.filter((v) => !g.initializers.has(v.name));
  for (const v of graphInputs) {
    const t = report.types.get(v.name);
    if (t?.dtype !== 'float32' && t?.dtype !== 'bool') {
      throw new KilnError(`input '${v.name}' is ${t?.dtype ?? 'untyped'}`, {
        expected: 'float32 or bool inputs on the wasm target',
      });
    }
    ctx.activation(
      v.name,
      ctx
        .shape({ name: v.name, op: 'input', domain: '', inputs: [], outputs: [], attrs: {} }, v.name)
        .reduce((a, b) => a * b, 1),
      'input',
    );
  }
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes)
    for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const fusedInto = new Set<Node>();

  for (const node of topoOrder(g)) {
    if (fusedInto.has(node)) continue;
    if (node.outputs.every((o) => !o || report.constants.has(o))) continue; // folded at compile time
    if (node.domain === 'kiln') {
      lowerKilnOp(node, ctx);
      continue;
    }
    if (node.domain !== '')
      throw new KilnError(`op ${node.domain}.${node.op} cannot be lowered for the wasm target`, {
        node: node.name,
        op: node.op,
      });
    checkDtypes(node, report.types, (v) => outputs.has(v) && !consumers.has(v));
    // Cast to float32 from float32 or bool (0/1) changes nothing in memory
    const castView =
      node.op === 'Cast' &&
      ['float32', 'bool'].includes(ctx.dtype(node.inputs[0]!) ?? '') &&
      ctx.dtype(node.outputs[0]!) === 'float32';
    if (VIEWS.has(node.op) || castView) {
      ctx.alias(node.outputs[0]!, node.inputs[0]!);
      continue;
    }
    const lowering = LOWERINGS[node.op];
    if (lowering) {
      let activation: Activation | undefined;
      const users = consumers.get(node.outputs[0]!) ?? [];
      if (
        (node.op === 'Conv' || node.op === 'Gemm' || node.op === 'MatMul') &&
        users.length === 1 &&
        !outputs.has(node.outputs[0]!)
      ) {
        activation = epilogueOf(users[0]!, ctx);
        if (activation) {
          fusedInto.add(users[0]!);
          // the activation's output is what the conv/gemm now writes
          ctx.alias(node.outputs[0]!, users[0]!.outputs[0]!);
        }
      }
      lowering(node, ctx, activation);
      continue;
    }
    if (isElementwise(node.op)) {
      lowerElementwise(node, ctx);
      continue;
    }
    throw new KilnError(`op ${node.op} cannot be lowered for the wasm target`, {
      node: node.name,
      op: node.op,
      expected: 'an op listed in docs/wasm-target.md',
    });
  }

  const io = (names: string[], role: 'input' | 'output') =>
    names.map((name) => {
      const shape = ctx.shape({ name, op: role, domain: '', inputs: [], outputs: [], attrs: {} }, name);
      const d = report.types.get(name)?.dtype;
      const dtype = d === 'int64' || d === 'bool' ? d : ('float32' as const);
      return { name, buffer: ctx.buffer(name), shape, dtype };
    });
  const outs = io(
    g.outputs.map((o) => o.name),
    'output',
  );
  // Graph outputs need buffers of their own: copy out of views of inputs, of other outputs, or of constants.
  const seen = new Set<string>();
  for (const o of outs) {
    const b = ctx.buffers.get(o.buffer);
    const constant = report.constants.get(o.name);
    if (constant && constant.dtype !== 'float32')
      throw new KilnError(`output '${o.name}' is a ${constant.dtype} constant`, {
        expected: 'float32 values on the wasm target',
      });
    if (constant || !b || b.role === 'input' || seen.has(o.buffer)) {
      const src = constant
        ? ctx.weight(o.name, Float32Array.from(constant.data as ArrayLike<number>))
        : o.buffer;
      const dst = `out:${o.name}`;
      lowerCopy(
        { name: `copy_${o.name}`, op: 'Identity', domain: '', inputs: [], outputs: [], attrs: {} },
        ctx,
        src,
        dst,
        o.shape,
      );
      o.buffer = dst;
    }
    ctx.buffers.get(o.buffer)!.role = 'output';
    seen.add(o.buffer);
  }
  return {
    kernels: ctx.kernels,
    buffers: ctx.buffers,
    inputs: io(
      graphInputs.map((v) => v.name),
      'input',
    ),
    outputs: outs,
  };
}
