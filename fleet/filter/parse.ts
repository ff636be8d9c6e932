import { KilnError } from '../../runtime/errors.js';
import { type CompareOp, type Filter, ORDERING_OPS } from './ast.js';
import { parseVersionNumbers } from './versions.js';

/** A filter that does not parse; `position` is the 0-based character offset of the problem. */
export class FilterSyntaxError extends KilnError {
  constructor(
    readonly source: string,
    readonly position: number,
    problem: string,
    expected: string,
  ) {
    super(`invalid filter at position ${position} of '${source}': ${problem}`, { expected });
  }
}

type TokenKind = 'ident' | 'string' | 'op' | '(' | ')' | '[' | ']' | ',' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  at: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in']);
const FIELDS = ['target', 'runtime', 'name', 'group'];
const FIELD_PREFIXES = ['tag.', 'feature.'];
export const FIELD_HELP = 'target, runtime, name, group, tag.KEY or feature.NAME';
const OPS = ['==', '!=', '<=', '>=', '<', '>'];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if ('()[],'.includes(c)) {
      tokens.push({ kind: c as TokenKind, text: c, at: i++ });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, at: i });
      i += op.length;
      continue;
    }
    if (c === '"') {
      const at = i++;
      let text = '';
      for (;;) {
        if (i >= src.length) {
          throw new FilterSyntaxError(src, at, 'unterminated string', 'a closing "');
        }
        const ch = src[i++]!;
        if (ch === '"') break;
        if (ch === '\\') {
          const next = src[i];
          if (next !== '"' && next !== '\\') {
            throw new FilterSyntaxError(src, i - 1, `unknown escape \\${next ?? ''}`, '\\" or \\\\');
          }
          text += next;
          i++;
        } else text += ch;
      }
      tokens.push({ kind: 'string', text, at });
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(src.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    throw new FilterSyntaxError(
      src,
      i,
      `unexpected character '${c}'`,
      'a field, a "quoted string", an operator (== != < <= > >= in), and, or, not, ( ) [ ] ,',
    );
  }
  tokens.push({ kind: 'end', text: 'the end', at: src.length });
  return tokens;
}

/**
 * Parse a filter: `or` binds loosest, then `and`, then `not`; a comparison is `FIELD OP "value"` or
 * `FIELD in ["a", "b"]`. A recursive-descent parser over tokens: nothing is ever evaluated as code.
 */
export function parseFilter(src: string): Filter {
  const tokens = tokenize(src);
  let p = 0;
  const peek = () => tokens[p]!;
  const isWord = (t: Token, w: string) => t.kind === 'ident' && t.text === w;
  const describe = (t: Token) => (t.kind === 'end' ? 'the end' : `'${t.text}'`);
  const fail = (t: Token, expected: string): never => {
    throw new FilterSyntaxError(src, t.at, `found ${describe(t)}`, expected);
  };

  const orExpr = (): Filter => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      p++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): Filter => {
    let left = notExpr();
    while (isWord(peek(), 'and')) {
      p++;
      left = { kind: 'and', left, right: notExpr() };
    }
    return left;
  };
  const notExpr = (): Filter => {
    if (isWord(peek(), 'not')) {
      p++;
      return { kind: 'not', operand: notExpr() };
    }
    return primary();
  };
  const primary = (): Filter => {
    const t = peek();
    if (t.kind === '(') {
      p++;
      const inner = orExpr();
      if (peek().kind !== ')') fail(peek(), "')' to close the '(' at position " + t.at);
      p++;
      return inner;
    }
    return comparison();
  };
  const stringValue = (): Token => {
    const t = peek();
    if (t.kind !== 'string') fail(t, 'a "quoted string"');
    p++;
    return t;
  };
  const comparison = (): Filter => {
    const f = peek();
    if (f.kind !== 'ident' || KEYWORDS.has(f.text)) fail(f, `a field (${FIELD_HELP}), 'not' or '('`);
    checkField(src, f);
    p++;
    const op = peek();
    if (isWord(op, 'in')) {
      p++;
      if (peek().kind !== '[') fail(peek(), "'[' starting a list of strings");
      p++;
      const values = [stringValue().text];
      while (peek().kind === ',') {
        p++;
        values.push(stringValue().text);
      }
      if (peek().kind !== ']') fail(peek(), "',' or ']'");
      p++;
      return { kind: 'in', field: f.text, values };
    }
    if (op.kind !== 'op') fail(op, 'an operator: == != < <= > >= in');
    p++;
    const v = stringValue();
    if (ORDERING_OPS.includes(op.text as CompareOp) && !parseVersionNumbers(v.text)) {
      throw new FilterSyntaxError(
        src,
        v.at,
        `'${op.text}' compares versions, and "${v.text}" is not one`,
        'a dotted version such as "0.1.0"',
      );
    }
    return { kind: 'compare', field: f.text, op: op.text as CompareOp, value: v.text };
  };

  const tree = orExpr();
  if (peek().kind !== 'end') fail(peek(), "'and', 'or' or the end of the filter");
  return tree;
}

function checkField(src: string, t: Token): void {
  if (FIELDS.includes(t.text)) return;
  const prefix = FIELD_PREFIXES.find((pre) => t.text.startsWith(pre));
  if (prefix && t.text.length > prefix.length) return;
  throw new FilterSyntaxError(src, t.at, `unknown field '${t.text}'`, FIELD_HELP);
}
