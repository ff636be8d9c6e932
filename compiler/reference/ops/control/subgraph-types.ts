/** Type helpers for ops with body graphs: merging branch types and concatenating scan outputs. */
import type { Dim, TypeInfo } from '../../../ir/graph.js';
import type { InferContext } from '../../op.js';
import { opError } from '../common.js';

/**
 * The type a value has when it may come from either of two branches: dims that agree are kept, dims that
 * differ become fresh symbols, a rank mismatch leaves the rank unknown.
 */
export function mergeTypes(
  ctx: InferContext,
  a: TypeInfo | undefined,
  b: TypeInfo | undefined,
  what: string,
): TypeInfo | undefined {
  if (!a || !b) return (a ?? b) ? { dtype: (a ?? b)!.dtype } : undefined;
  if (a.dtype !== b.dtype) {
    throw opError(
      ctx.node,
      `${what} is ${a.dtype} in one branch and ${b.dtype} in the other`,
      'the same dtype',
    );
  }
  if (!a.shape || !b.shape || a.shape.length !== b.shape.length) return { dtype: a.dtype };
  const shape: Dim[] = a.shape.map((d, i) => (d === b.shape![i] ? d : ctx.freshDim()));
  return { dtype: a.dtype, shape };
}

/** A per-iteration value of type `t` stacked along `axis` over `count` iterations. */
export function stackedType(t: TypeInfo | undefined, count: Dim, axis = 0): TypeInfo | undefined {
  if (!t) return undefined;
  if (!t.shape) return { dtype: t.dtype };
  const shape = [...t.shape];
  const a = axis < 0 ? axis + shape.length + 1 : axis;
  if (a < 0 || a > shape.length) return { dtype: t.dtype };
  shape.splice(a, 0, count);
  return { dtype: t.dtype, shape };
}
