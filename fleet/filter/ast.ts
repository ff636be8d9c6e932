/**
 * A parsed device filter (docs/fleet.md, "Tags and dynamic groups"). Fields are `target`,
 * `runtime`, `name`, `group`, `tag.KEY` and `feature.NAME`; values are always strings.
 */
export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; operand: Filter }
  | { kind: 'compare'; field: string; op: CompareOp; value: string }
  | { kind: 'in'; field: string; values: string[] };

/** `==` and `!=` compare strings; the ordering operators compare dotted version numbers. */
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export const ORDERING_OPS: readonly CompareOp[] = ['<', '<=', '>', '>='];
