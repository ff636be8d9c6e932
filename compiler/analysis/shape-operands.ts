import type { Graph, Node } from '../ir/graph.js';

/**
 * Operands whose values (not only their shapes) decide an output's shape, or which elements a view
 * selects, by op and input position. A shape-specialised target needs them at compile time: as
 * constants, or bound to a value (`kiln compile --bind`).
 */
export const SHAPE_OPERANDS: Record<string, Record<number, string>> = {
  Reshape: { 1: 'shape' },
  Expand: { 1: 'shape' },
  Tile: { 1: 'repeats' },
  Slice: { 1: 'starts', 2: 'ends', 3: 'axes', 4: 'steps' },
  Pad: { 1: 'pads', 3: 'axes' },
  Squeeze: { 1: 'axes' },
  Unsqueeze: { 1: 'axes' },
  Split: { 1: 'split' },
  TopK: { 1: 'K' },
  Resize: { 1: 'roi', 2: 'scales', 3: 'sizes' },
  Upsample: { 1: 'scales' },
  ConstantOfShape: { 0: 'input' },
  Range: { 0: 'start', 1: 'limit', 2: 'delta' },
  OneHot: { 1: 'depth' },
  MaxUnpool: { 2: 'output_shape' },
  DFT: { 1: 'dft_length', 2: 'axis' },
  HannWindow: { 0: 'size' },
  HammingWindow: { 0: 'size' },
  BlackmanWindow: { 0: 'size' },
  CenterCropPad: { 1: 'shape' },
  Compress: { 1: 'condition' },
  STFT: { 1: 'frame_step', 3: 'frame_length' },
  // the whole matrix is computed at compile time (constant folding): every operand must be known
  MelWeightMatrix: {
    0: 'num_mel_bins',
    1: 'dft_length',
    2: 'sample_rate',
    3: 'lower_edge_hertz',
    4: 'upper_edge_hertz',
  },
  ReduceSum: { 1: 'axes' },
  ReduceMean: { 1: 'axes' },
  ReduceMax: { 1: 'axes' },
  ReduceMin: { 1: 'axes' },
  ReduceProd: { 1: 'axes' },
  ReduceL1: { 1: 'axes' },
  ReduceL2: { 1: 'axes' },
  ReduceLogSum: { 1: 'axes' },
  ReduceLogSumExp: { 1: 'axes' },
  ReduceSumSquare: { 1: 'axes' },
  // control flow and recurrences are unrolled at compile time (compiler/passes): what decides the
  // branch, the trip count or the steps each batch entry runs must be known then
  If: { 0: 'cond' },
  Loop: { 0: 'M', 1: 'cond' },
  RNN: { 4: 'sequence_lens' },
  GRU: { 4: 'sequence_lens' },
  LSTM: { 4: 'sequence_lens' },
  // sequences are resolved into their tensors at compile time (compiler/passes/sequence-resolution.ts)
  SequenceAt: { 1: 'position' },
  SequenceInsert: { 2: 'position' },
  SequenceErase: { 1: 'position' },
  SplitToSequence: { 1: 'split' },
};

/** The shape operands a node uses: [input position, operand name, value name]. */
export function shapeOperands(node: Node): [number, string, string][] {
  const table = node.domain === '' || node.domain === 'ai.onnx' ? SHAPE_OPERANDS[node.op] : undefined;
  if (!table) return [];
  const out: [number, string, string][] = [];
  for (const [i, what] of Object.entries(table)) {
    const v = node.inputs[Number(i)];
    if (v) out.push([Number(i), what, v]);
  }
  return out;
}

/**
 * Graph inputs (not initializers) whose values reach a shape operand, directly or through any
 * computation on them (Cast, Concat, Mul, ...). The walk back stops at Shape and Size, which read
 * only their operand's shape: a data input whose dims alone feed a Reshape is not shape-deciding.
 * In graph-input order.
 */
export function shapeDecidingInputs(graph: Graph): string[] {
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const seen = new Set<string>();
  const stack: string[] = [];
  for (const n of graph.nodes) for (const [, , v] of shapeOperands(n)) stack.push(v);
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = producer.get(v);
    if (!p || p.op === 'Shape' || p.op === 'Size') continue;
    for (const i of p.inputs) if (i) stack.push(i);
  }
  return graph.inputs.map((i) => i.name).filter((n) => seen.has(n) && !graph.initializers.has(n));
}
