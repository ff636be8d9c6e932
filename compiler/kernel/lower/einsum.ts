import { KilnError } from '../../../runtime/errors.js';
import { attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { parseEquation } from '../../reference/ops/reduce/einsum.js';
import { type Expr, type Stmt, affine, computeType } from '../ir.js';
import type { LowerContext } from './context.js';
import { strides } from './loops.js';

/** A buffer for a value: its weight when constant, else its activation. */
const source = (ctx: LowerContext, node: Node, v: string) =>
  ctx.constant(v) ? ctx.constantBuffer(node, v) : ctx.buffer(v);

/**
 * Einsum on any numeric element type, parsed as the reference does (implicit/explicit output,
 * diagonals, ellipsis broadcasting): one loop per output label, inside them one loop per summed
 * label around an accumulator of the product of the operands. Every index is affine in the label
 * variables (a repeated label adds its strides; a broadcast axis of size 1 contributes nothing).
 */
export function lowerEinsum(node: Node, ctx: LowerContext): void {
  for (const v of node.inputs)
    if (ctx.dtype(v) === 'bool')
      throw new KilnError(`input '${v}' is bool`, {
        node: node.name,
        op: node.op,
        expected: 'numeric operands',
      });
  const shapes = node.inputs.map((v) => ctx.shape(node, v));
  const eq = parseEquation(
    node,
    attrString(node, 'equation', ''),
    shapes.map((s) => s.length),
  );
  const sizes = new Map<string, number>();
  eq.inputs.forEach((labels, k) =>
    labels.forEach((l, a) => sizes.set(l, Math.max(sizes.get(l) ?? 1, shapes[k]![a]!))),
  );
  const v = (l: string) => `e_${l}`;
  const outShape = eq.output.map((l) => sizes.get(l)!);
  const out = ctx.activation(
    node.outputs[0]!,
    outShape.reduce((a, b) => a * b, 1),
  );
  const summed = [...sizes.keys()].filter((l) => !eq.output.includes(l));
  const t = computeType(ctx.elemType(node, node.outputs[0]!));
  const operands: Expr[] = node.inputs.map((name, k) => {
    const st = strides(shapes[k]!);
    const terms = new Map<string, number>();
    eq.inputs[k]!.forEach((l, a) => {
      if (shapes[k]![a] !== 1) terms.set(l, (terms.get(l) ?? 0) + st[a]!);
    });
    return {
      k: 'load',
      buf: source(ctx, node, name),
      at: affine(0, ...[...terms].map(([l, c]): [string, number] => [v(l), c])),
    };
  });
  const product = operands.reduce((a, b) => ({ k: 'bin', op: 'mul', a, b }));
  let inner: Stmt[] = [
    { k: 'set', acc: 's', value: { k: 'bin', op: 'add', a: { k: 'acc', name: 's' }, b: product } },
  ];
  for (let i = summed.length - 1; i >= 0; i--)
    inner = [{ k: 'loop', v: v(summed[i]!), n: sizes.get(summed[i]!)!, body: inner }];
  const os = strides(outShape);
  let body: Stmt[] = [
    { k: 'set', acc: 's', value: { k: 'const', v: 0, t } },
    ...inner,
    {
      k: 'store',
      buf: out,
      at: affine(0, ...eq.output.map((l, i): [string, number] => [v(l), os[i]!])),
      value: { k: 'acc', name: 's' },
    },
  ];
  for (let i = eq.output.length - 1; i >= 0; i--)
    body = [{ k: 'loop', v: v(eq.output[i]!), n: outShape[i]!, body }];
  ctx.emit({ kind: 'loops', name: 'einsum', nodes: [node.name], buffers: [], body });
}
