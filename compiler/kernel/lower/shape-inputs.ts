import { KilnError } from '../../../runtime/errors.js';
import type { Node } from '../../ir/graph.js';

/**
 * Inputs whose values decide an output's shape (or which elements a view selects). The wasm target
 * is shape-specialised, so these must be known at compile time; a graph input there is refused even
 * when the model declares the output shape, since a different feed would need different code.
 */
const SHAPE_INPUTS: Record<string, Record<number, string>> = {
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
};

/** Refuse a node whose shape-deciding input is not a compile-time constant. */
export function checkShapeInputs(node: Node, isConstant: (v: string) => boolean): void {
  const inputs = SHAPE_INPUTS[node.op];
  if (!inputs) return;
  for (const [i, what] of Object.entries(inputs)) {
    const v = node.inputs[Number(i)];
    if (v && !isConstant(v))
      throw new KilnError(`${what} ('${v}') is fed at run time but decides the output's shape`, {
        node: node.name,
        op: node.op,
        expected: 'a constant (the wasm target compiles shape-specialised code)',
      });
  }
}
