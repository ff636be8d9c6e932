import { KilnError } from '../../../runtime/errors.js';
import type { Node, TypeInfo } from '../../ir/graph.js';

/**
 * Which dtypes the wasm target carries. Everything is an f32 buffer: float32 values, bool values as
 * 0/1 (comparisons, logic, IsNaN/IsInf, Cast to bool, and views of them), and ArgMax/ArgMin indices,
 * which may only be graph outputs (the runtime converts them to int64, and bool outputs to bytes).
 */
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
};
const INT64_OUTPUT_OPS = new Set(['ArgMax', 'ArgMin']);

/** Refuse a node whose result or operand dtypes the target cannot hold; `graphOutputOnly(v)`: v is a graph output and nothing reads it. */
export function checkDtypes(
  node: Node,
  types: Map<string, TypeInfo>,
  graphOutputOnly: (v: string) => boolean,
): void {
  const fail = (msg: string) =>
    new KilnError(msg, { node: node.name, op: node.op, expected: 'float32 values on the wasm target' });
  for (const o of node.outputs) {
    if (!o) continue;
    const d = types.get(o)?.dtype;
    if (d === 'float32') continue;
    if (d === 'bool' && BOOL_PRODUCERS.has(node.op)) continue;
    if (d === 'int64' && INT64_OUTPUT_OPS.has(node.op) && graphOutputOnly(o)) continue;
    throw fail(`output '${o}' is ${d ?? 'untyped'}`);
  }
  node.inputs.forEach((v, i) => {
    if (!v || types.get(v)?.dtype !== 'bool') return;
    if (!(node.op in BOOL_CONSUMERS)) throw fail(`input '${v}' is bool`);
    const at = BOOL_CONSUMERS[node.op];
    if (at && !at.includes(i)) throw fail(`input '${v}' is bool`);
  });
}
