import { KilnError } from '../../../runtime/errors.js';
import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, affine } from '../ir.js';
import type { LowerContext } from './context.js';
import { dftLine } from './dft.js';

/**
 * STFT (float32): per batch item and frame, the DFT of frame_length samples starting at
 * frame·frame_step, each times window[t] (a constant or fed at run time), through the DFT lowering's
 * line sum (dft.ts). frame_step and frame_length decide the output's shape: constants or bound
 * inputs. Onesided keeps frame_length/2 + 1 bins.
 */
export function lowerStft(node: Node, ctx: LowerContext): void {
  const [signal, stepName, windowName, lengthName] = node.inputs;
  const [batch, len, cw] = ctx.shape(node, signal!);
  const out = ctx.shape(node, node.outputs[0]!);
  const [, frames, bins] = out;
  const known = (v: string, what: string): number => {
    const t = ctx.constant(v);
    if (!t)
      throw new KilnError(`${what} ('${v}') must be known at compile time`, {
        node: node.name,
        op: node.op,
        expected: 'a constant or a bound input (kiln compile --bind NAME=FILE.npy)',
      });
    return Number(t.data[0]);
  };
  const step = known(stepName!, 'frame_step');
  const frameLength = lengthName
    ? known(lengthName, 'frame_length')
    : windowName
      ? ctx.shape(node, windowName)[0]!
      : len!;
  const x = ctx.valueBuffer(node, signal!);
  const xAt = affine(0, ['b', len! * cw!], ['f', step * cw!], ['t', cw!]);
  const w: Expr | undefined = windowName
    ? { k: 'load', buf: ctx.valueBuffer(node, windowName), at: affine(0, ['t', 1]) }
    : undefined;
  const windowed = (e: Expr): Expr => (w ? { k: 'bin', op: 'mul', a: e, b: w } : e);
  const y = ctx.activation(
    node.outputs[0]!,
    out.reduce((p, d) => p * d, 1),
  );
  const line = dftLine(ctx, node, {
    bins: bins!,
    points: frameLength,
    length: frameLength,
    inverse: false,
    xr: windowed({ k: 'load', buf: x, at: xAt }),
    xi: cw === 2 ? windowed({ k: 'load', buf: x, at: { ...xAt, c: 1 } }) : { k: 'const', v: 0 },
    store: (comp, value) => ({
      k: 'store',
      buf: y,
      at: affine(comp, ['b', frames! * bins! * 2], ['f', bins! * 2], ['k', 2]),
      value,
    }),
  });
  if (attrInt(node, 'onesided', 1) !== 0 && bins !== Math.floor(frameLength / 2) + 1)
    throw new KilnError(`internal error: ${bins} onesided bins for frame_length ${frameLength}`, {
      node: node.name,
      op: node.op,
    });
  ctx.emit({
    kind: 'loops',
    name: 'stft',
    nodes: [node.name],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'b',
        n: batch!,
        body: [{ k: 'loop', v: 'f', n: frames!, body: [{ k: 'loop', v: 'k', n: bins!, body: line }] }],
      },
    ],
  });
}
