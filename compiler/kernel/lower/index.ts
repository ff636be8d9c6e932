import { KilnError } from '../../../runtime/errors.js';
import { attrFloat } from '../../ir/attrs.js';
import type { Model, Node } from '../../ir/graph.js';
import { inferShapes } from '../../ir/infer.js';
import { topoOrder } from '../../ir/topo.js';
import type { WasmDType } from '../../../runtime/wasm/layout.js';
import type { Activation, Kernel } from '../ir.js';
import { type BufferInfo, LowerContext, type LowerOptions } from './context.js';
import { lowerArgExtreme } from './argmax.js';
import { lowerConv } from './conv.js';
import { lowerConvTranspose } from './conv-transpose.js';
import { lowerCumSum } from './cumsum.js';
import { lowerDropout } from './dropout.js';
import { lowerEinsum } from './einsum.js';
import { lowerDequantizeLinear, lowerQuantizeLinear } from './quantize.js';
import { lowerIntegerConv, lowerIntegerMatMul } from './quantized.js';
import { lowerDynamicQuantizeLinear } from './dynamic-quantize.js';
import { lowerReverseSequence } from './reverse-sequence.js';
import { lowerGatherND, lowerScatterElements, lowerScatterND } from './scatter.js';
import { checkDtypes } from './dtypes.js';
import { lowerDepthToSpace, lowerExpand, lowerSpaceToDepth, lowerSplit, lowerTile } from './copies.js';
import { isElementwise, lowerElementwise } from './elementwise.js';
import { lowerGatherElements } from './gather-dynamic.js';
import { lowerNllLoss, lowerSoftmaxCrossEntropy } from './loss.js';
import { lowerMatMul } from './matmul.js';
import { lowerKilnOp } from './kiln.js';
import { lowerConcat, lowerCopy, lowerGather, lowerSlice, lowerTranspose } from './movement.js';
import { lowerInstanceNorm, lowerLRN, lowerMVN } from './norm.js';
import { as2d } from './one-d.js';
import { lowerPad } from './pad.js';
import { lowerResize, lowerUpsample } from './resize.js';
import { checkShapeInputs } from './shape-inputs.js';
import { notUnrolledReason } from '../../passes/not-unrolled.js';
import { lowerEyeLike, lowerTrilu } from './trilu.js';
import { lowerPool } from './pool.js';
import { lowerOneHot } from './onehot.js';
import { lowerTopK } from './topk.js';
import { lowerMaxUnpool } from './max-unpool.js';
import { lowerDet } from './det.js';
import { lowerGridSample } from './grid-sample.js';
import { lowerDft } from './dft.js';
import { lowerCompress } from './compress.js';
import { lowerStft } from './stft.js';
import { lowerMelWeightMatrix } from './mel.js';
import { isIntPow, lowerIntPow } from './pow-int.js';
import { REDUCE_OPS, lowerBatchNorm, lowerLayerNorm, lowerReduce, lowerSoftmax } from './reduce.js';

export interface LoweredModel {
  kernels: Kernel[];
  buffers: Map<string, BufferInfo>;
  /** Values are stored as their dtype, except bool (0/1 floats); see elem-types.ts. */
  inputs: { name: string; buffer: string; shape: number[]; dtype: WasmDType }[];
  outputs: { name: string; buffer: string; shape: number[]; dtype: WasmDType }[];
}

const WASM_DTYPES = new Set<string>([
  'float32',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bfloat16',
  'float16',
  'bool',
]);

/** Ops that only reinterpret the shape: their output shares the input's buffer. */
const VIEWS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

type Lowering = (node: Node, ctx: LowerContext, activation?: Activation) => void;

const LOWERINGS: Record<string, Lowering> = {
  ...Object.fromEntries(REDUCE_OPS.map((op) => [op, lowerReduce])),
  Gemm: lowerMatMul,
  MatMul: lowerMatMul,
  Conv: as2d(lowerConv),
  ConvTranspose: lowerConvTranspose,
  CumSum: lowerCumSum,
  Einsum: lowerEinsum,
  QuantizeLinear: lowerQuantizeLinear,
  DequantizeLinear: lowerDequantizeLinear,
  DynamicQuantizeLinear: lowerDynamicQuantizeLinear,
  ConvInteger: lowerIntegerConv,
  QLinearConv: lowerIntegerConv,
  MatMulInteger: lowerIntegerMatMul,
  QLinearMatMul: lowerIntegerMatMul,
  ReverseSequence: lowerReverseSequence,
  Upsample: lowerUpsample,
  ScatterElements: lowerScatterElements,
  Scatter: lowerScatterElements,
  ScatterND: lowerScatterND,
  GatherND: lowerGatherND,
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
  GatherElements: lowerGatherElements,
  Trilu: lowerTrilu,
  EyeLike: lowerEyeLike,
  ArgMax: lowerArgExtreme,
  NegativeLogLikelihoodLoss: lowerNllLoss,
  SoftmaxCrossEntropyLoss: lowerSoftmaxCrossEntropy,
  ArgMin: lowerArgExtreme,
  OneHot: lowerOneHot,
  TopK: lowerTopK,
  MaxUnpool: lowerMaxUnpool,
  Det: lowerDet,
  GridSample: lowerGridSample,
  DFT: lowerDft,
  Compress: lowerCompress,
  STFT: lowerStft,
  MelWeightMatrix: lowerMelWeightMatrix,
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
 * Lower a model (static shapes, float32 activations) to kernels for the WASM target (and, with
 * `options`, for targets that render more, e.g. webgpu's implicit-GEMM convolutions). Every node either
 * becomes kernels, aliases its input (views) or was folded to a constant; anything else is a
 * compile-time KilnError naming the op and node.
 */
export function lowerModel(model: Model, options: LowerOptions = {}): LoweredModel {
  const g = model.graph;
  const report = inferShapes(model);
  const ctx = new LowerContext(report.types, report.constants, model.opsetImports, options);
  // Initializers also listed as graph inputs (IR < 4 defaults) are compiled in as weights.
  // Ops that read buffers directly (movement) then find them through an alias to the weight.
  for (const [name, t] of g.initializers) {
    if (ctx.constants.has(name)) continue;
    ctx.constants.set(name, t);
    if (t.dtype === 'float32') ctx.alias(name, ctx.weight(name, t.data as Float32Array));
    else if (t.dtype !== 'string' && t.size > 0) {
      const init = { name, op: 'initializer', domain: '', inputs: [], outputs: [], attrs: {} };
      ctx.alias(name, ctx.constantBuffer(init, name));
    }
  }
  const graphInputs = g.inputs.filter((v) => !g.initializers.has(v.name));
  for (const v of graphInputs) {
    const t = report.types.get(v.name);
    if (!t?.dtype || !WASM_DTYPES.has(t.dtype)) {
      throw new KilnError(`input '${v.name}' is ${t?.dtype ?? 'untyped'}`, {
        expected: `one of ${[...WASM_DTYPES].join(', ')} on the wasm target`,
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
    const notUnrolled = notUnrolledReason(node);
    if (notUnrolled)
      throw new KilnError(`op ${node.op} cannot be lowered for the wasm target: ${notUnrolled}`, {
        node: node.name,
        op: node.op,
      });
    checkDtypes(node, report.types);
    checkShapeInputs(node, (v) => ctx.constants.has(v));
    // a Cast between dtypes held alike (bool and float32 are both f32 0/1 or floats) changes nothing in
    // memory — except to bool, which makes every nonzero 1
    const castView =
      (node.op === 'Cast' || node.op === 'CastLike') &&
      ctx.dtype(node.outputs[0]!) !== 'bool' &&
      ctx.elemType(node, node.inputs[0]!) === ctx.elemType(node, node.outputs[0]!);
    if (node.op === 'Dropout') {
      lowerDropout(node, ctx);
      continue;
    }
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
    if (isIntPow(node, ctx)) {
      lowerIntPow(node, ctx);
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
      if (!d || !WASM_DTYPES.has(d))
        throw new KilnError(`${role} '${name}' is ${d ?? 'untyped'}`, {
          expected: `one of ${[...WASM_DTYPES].join(', ')} on the wasm target`,
        });
      return { name, buffer: ctx.buffer(name), shape, dtype: d as WasmDType };
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
    if (constant || !b || b.role === 'input' || seen.has(o.buffer)) {
      const ioNode = { name: o.name, op: 'output', domain: '', inputs: [], outputs: [], attrs: {} };
      const src = constant ? ctx.constantBuffer(ioNode, o.name) : o.buffer;
      const dst = `out:${o.name}`;
      const dtype = ctx.elemType(ioNode, o.name);
      ctx.buffers.set(dst, {
        name: dst,
        size: o.shape.reduce((a, c) => a * c, 1),
        role: 'output',
        ...(dtype !== 'f32' ? { dtype } : {}),
      });
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
