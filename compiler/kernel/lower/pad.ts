import type { LowerContext } from './context.js';
import { loopNest, strides } from './loops.js';
import { affine } from '../ir.js';

/**
 * Copy `src` (shape [N, C, H, W...]) into a temp buffer padded on the spatial dims with `value`, so the
 * window loops of conv/pool read without bounds checks. Returns the temp buffer and its shape.
 */
export function padSpatial(
  ctx: LowerContext,
  node: string,
  src: string,
  shape: number[],
  begin: number[],
  end: number[],
  value: number,
): { buf: string; shape: number[] } {
  const padded = shape.map((d, i) => (i < 2 ? d : d + begin[i - 2]! + end[i - 2]!));
  if (begin.every((p) => p === 0) && end.every((p) => p === 0)) return { buf: src, shape };
  const total = padded.reduce((a, b) => a * b, 1);
  const buf = ctx.temp(`${node}:pad`, total);
  const ps = strides(padded);
  const ss = strides(shape);
  ctx.emit({
    kind: 'loops',
    name: 'pad',
    nodes: [node],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'f',
        n: total,
        vector: true,
        body: [{ k: 'store', buf, at: affine(0, ['f', 1]), value: { k: 'const', v: value } }],
      },
      ...loopNest(shape, 'p', (vars) => {
        const offset = begin.reduce((acc, b, i) => acc + b * ps[i + 2]!, 0);
        return [
          {
            k: 'store',
            buf,
            at: affine(offset, ...vars.map((v, i): [string, number] => [v, ps[i]!])),
            value: {
              k: 'load',
              buf: src,
              at: affine(0, ...vars.map((v, i): [string, number] => [v, ss[i]!])),
            },
          },
        ];
      }),
    ],
  });
  return { buf, shape: padded };
}
