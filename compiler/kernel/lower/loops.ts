import { type Affine, type Stmt, affine } from '../ir.js';

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Index of a tensor of `shape` broadcast into an iteration over `outShape` with loop vars `vars`. */
export function broadcastIndex(
  shape: readonly number[],
  outShape: readonly number[],
  vars: string[],
  offset = 0,
): Affine {
  const st = strides(shape);
  const lead = outShape.length - shape.length;
  const terms: [string, number][] = [];
  shape.forEach((d, i) => {
    if (d !== 1) terms.push([vars[lead + i]!, st[i]!]);
  });
  return affine(offset, ...terms);
}

/**
 * A loop nest over `shape`, innermost loop vectorised when asked and long enough; `body` gets the
 * loop variables. Rank-0 shapes run the body once.
 */
export function loopNest(
  shape: readonly number[],
  prefix: string,
  body: (vars: string[]) => Stmt[],
  vectorizeInner = true,
): Stmt[] {
  const vars = shape.map((_, i) => `${prefix}${i}`);
  let stmts = body(vars);
  for (let i = shape.length - 1; i >= 0; i--) {
    stmts = [
      {
        k: 'loop',
        v: vars[i]!,
        n: shape[i]!,
        body: stmts,
        vector: vectorizeInner && i === shape.length - 1 && shape[i]! >= 4,
      },
    ];
  }
  return stmts;
}
