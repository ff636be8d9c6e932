import { KilnError } from '../../../runtime/errors.js';
import type { Node, TypeInfo } from '../../ir/graph.js';
import { F64_OPS } from './elementwise.js';

/**
 * Which dtypes each op may see on the wasm target. Buffers hold their own element type (elem-types.ts)
 * except bool, held as f32 0/1. Ops in ANY_TYPE are lowered for every element type (their lowering
 * refuses the type/op pairs it cannot do); every other op is float32 only, with bool allowed where the
 * tables below say.
 */
export const ANY_TYPE = new Set([
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Identity',
  'Transpose',
  'Concat',
  'Slice',
  'Gather',
  'GatherElements',
  'Expand',
  'Tile',
  'Split',
  'Pad',
  'DepthToSpace',
  'SpaceToDepth',
  'ArgMax',
  'ArgMin',
  'Trilu',
  'CumSum',
  'ScatterElements',
  'Scatter',
  'ScatterND',
  'GatherND',
  'EyeLike',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'ConvInteger',
  'QLinearConv',
  'MatMulInteger',
  'QLinearMatMul',
  'MaxPool',
  'ReverseSequence',
  'Einsum',
  'OneHot',
  'TopK',
  'Compress',
  // the elementwise ops lowered beyond float32 (elementwise.ts refuses the type/op pairs it cannot do)
  ...F64_OPS,
]);
const BOOL_PRODUCERS = new Set([
  'Greater',
  'Less',
  'Equal',
  'GreaterOrEqual',
  'LessOrEqual',
  'And',
  'Or',
  'Xor',
  'Not',
  'IsNaN',
  'IsInf',
  'Cast',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Identity',
  'Dropout',
]);
/** Ops that may read a bool value, and at which input positions (undefined: any). */
const BOOL_CONSUMERS: Record<string, number[] | undefined> = {
  And: undefined,
  Or: undefined,
  Xor: undefined,
  Not: undefined,
  Equal: undefined,
  Where: [0],
  Cast: undefined,
  Reshape: [0],
  Flatten: undefined,
  Squeeze: [0],
  Unsqueeze: [0],
  Identity: undefined,
  Dropout: [2],
};
/** Refuse a node whose result or operand dtypes its lowering cannot handle. */
export function checkDtypes(node: Node, types: Map<string, TypeInfo>): void {
  if (ANY_TYPE.has(node.op)) return;
  // Pow with an integer base (and so output) is lowered by pow-int.ts, for any exponent type
  const base = types.get(node.inputs[0]!)?.dtype;
  if (node.op === 'Pow' && (base === 'int32' || base === 'int64')) return;
  // reductions also run on float64 (data in, result out; axes are int64 side inputs)
  if (
    node.op.startsWith('Reduce') &&
    types.get(node.inputs[0]!)?.dtype === 'float64' &&
    types.get(node.outputs[0]!)?.dtype === 'float64'
  )
    return;
  const fail = (msg: string) =>
    new KilnError(msg, { node: node.name, op: node.op, expected: 'float32 values on the wasm target' });
  for (const o of node.outputs) {
    if (!o) continue;
    const d = types.get(o)?.dtype;
    if (d === 'float32') continue;
    if (d === 'bool' && BOOL_PRODUCERS.has(node.op)) continue;
    throw fail(`output '${o}' is ${d ?? 'untyped'}`);
  }
  node.inputs.forEach((v, i) => {
    const d = types.get(v)?.dtype;
    if (!v || d === 'float32') return;
    if (d !== 'bool') {
      // integer side inputs (axes, shapes, pads, ...) are constants the lowering reads at compile time
      if (d?.startsWith('int') || d?.startsWith('uint')) return;
      throw fail(`input '${v}' is ${d ?? 'untyped'}`);
    }
    if (!(node.op in BOOL_CONSUMERS)) throw fail(`input '${v}' is bool`);
    const at = BOOL_CONSUMERS[node.op];
    if (at && !at.includes(i)) throw fail(`input '${v}' is bool`);
  });
}
