import { KilnError } from '../../../runtime/errors.js';
import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { iota, iotaAt } from './iota.js';
import { strides } from './loops.js';
import { perElementKernel } from './per-element.js';

/**
 * ReverseSequence: out[t, b, ...] = x[len[b] - 1 - t, b, ...] for t < len[b], else x[t, b, ...]
 * (time and batch axes 0/1 either way round). sequence_lens is read at run time, so the source time
 * index is a run-time index term; the output shape is the input's. Lengths are not range-checked at
 * run time (the reference refuses lengths outside 0..T).
 */
export function lowerReverseSequence(node: Node, ctx: LowerContext): void {
  const [xName, lensName] = node.inputs;
  const shape = ctx.shape(node, xName!);
  const timeAxis = attrInt(node, 'time_axis', 0);
  const batchAxis = attrInt(node, 'batch_axis', 1);
  if (shape.length < 2 || ![0, 1].includes(timeAxis) || timeAxis + batchAxis !== 1)
    throw new KilnError(`input of rank ${shape.length}, time_axis ${timeAxis}, batch_axis ${batchAxis}`, {
      node: node.name,
      op: node.op,
      expected: 'rank >= 2 with time_axis and batch_axis 0 and 1 (either way round)',
    });
  const st = strides(shape);
  const T = shape[timeAxis]!;
  const x = ctx.valueBuffer(node, xName!);
  const lens = ctx.valueBuffer(node, lensName!);
  const lensType = ctx.bufferType(lens) === 'i64' ? 'i64' : 'i32';
  const times = iota(ctx, node, 'time', T, lensType === 'i64' ? 'int64' : 'int32');
  perElementKernel(ctx, node, 'reverse_sequence', shape, 'r', (v) => {
    const t = iotaAt(times, v[timeAxis]!);
    const len: Expr = { k: 'load', buf: lens, at: affine(0, [v[batchAxis]!, 1]) };
    const one: Expr = { k: 'const', v: 1 };
    // len - 1 - t inside the reversed prefix, t after it
    const src: Expr = {
      k: 'select',
      cmp: 'lt',
      a: t,
      b: len,
      t: { k: 'bin', op: 'sub', a: { k: 'bin', op: 'sub', a: len, b: one }, b: t },
      f: t,
    };
    const rest = v.flatMap((q, i): [string, number][] => (i === timeAxis ? [] : [[q, st[i]!]]));
    return {
      k: 'load',
      buf: x,
      at: {
        ...affine(0, ...rest),
        dyn: [{ e: lensType === 'i64' ? { k: 'cast', to: 'i32', a: src } : src, c: st[timeAxis]! }],
      },
    };
  });
}
