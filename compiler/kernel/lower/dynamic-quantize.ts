import { KilnError } from '../../../runtime/errors.js';
import type { Node } from '../../ir/graph.js';
import { type CompareOp, type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';

const c = (v: number): Expr => ({ k: 'const', v });
const acc = (name: string): Expr => ({ k: 'acc', name });
const bin = (op: 'add' | 'sub' | 'div' | 'max' | 'min', a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });
const pick = (cmp: CompareOp, a: Expr, b: Expr, t: Expr, f: Expr): Expr => ({ k: 'select', cmp, a, b, t, f });
const clamp255 = (e: Expr): Expr => bin('min', bin('max', e, c(0)), c(255));
const round = (a: Expr): Expr => ({ k: 'un', op: 'round', a });

/**
 * DynamicQuantizeLinear (float32 → uint8) as one loop kernel, in float32 as the spec's function body
 * and the reference: min and max over x and 0 (NaN skipped: selects, not min/max, which propagate it),
 * scale = (max - min) / 255, zero point = saturate(round_half_even(0 - min / scale)), then
 * y = saturate(round_half_even(x / scale) + zero point); a zero scale gives y = zero point = 0.
 */
export function lowerDynamicQuantizeLinear(node: Node, ctx: LowerContext): void {
  const [xName] = node.inputs;
  const [yName, scaleName, zpName] = node.outputs;
  if (ctx.dtype(xName!) !== 'float32')
    throw new KilnError(`x is ${ctx.dtype(xName!)}`, { node: node.name, op: node.op, expected: 'float32' });
  const n = ctx.shape(node, xName!).reduce((a, b) => a * b, 1);
  const x: Expr = { k: 'load', buf: ctx.valueBuffer(node, xName!), at: affine(0, ['i', 1]) };
  const scale = acc('scale');
  const zp = acc('zp');
  const body: Stmt[] = [
    { k: 'set', acc: 'lo', value: c(0) },
    { k: 'set', acc: 'hi', value: c(0) },
    {
      k: 'loop',
      v: 'i',
      n,
      body: [
        { k: 'set', acc: 'lo', value: pick('lt', x, acc('lo'), x, acc('lo')) },
        { k: 'set', acc: 'hi', value: pick('gt', x, acc('hi'), x, acc('hi')) },
      ],
    },
    { k: 'set', acc: 'scale', value: bin('div', bin('sub', acc('hi'), acc('lo')), c(255)) },
    {
      k: 'set',
      acc: 'zp',
      value: pick('eq', scale, c(0), c(0), clamp255(round(bin('sub', c(0), bin('div', acc('lo'), scale))))),
    },
  ];
  if (yName) {
    const y = ctx.activation(yName, n);
    const q = pick('eq', scale, c(0), zp, clamp255(bin('add', round(bin('div', x, scale)), zp)));
    body.push({
      k: 'loop',
      v: 'i',
      n,
      body: [{ k: 'store', buf: y, at: affine(0, ['i', 1]), value: { k: 'cast', to: 'i32', a: q } }],
    });
  }
  if (scaleName) body.push({ k: 'store', buf: ctx.activation(scaleName, 1), at: affine(0), value: scale });
  if (zpName)
    body.push({
      k: 'store',
      buf: ctx.activation(zpName, 1),
      at: affine(0),
      value: { k: 'cast', to: 'i32', a: zp },
    });
  ctx.emit({ kind: 'loops', name: 'dynamic_quantize_linear', nodes: [node.name], buffers: [], body });
}
