import type { InputSignature, SequenceSignature, TensorSignature } from '../compiler/structured-io.js';
import { DTYPES, type DType } from '../runtime/dtype.js';
import { KilnError } from '../runtime/errors.js';

const GRAMMAR =
  "a tensor 'float32[2,3]', a sequence '[float32[3],float32[5]]' ('[]' empty, float32), " +
  "or an optional 'optional(float32[4])', 'optional([int32[4]])', 'optional()' (absent)";

const TENSOR = /^([a-z0-9]+)\[([\d,\s]*)\]$/;

/**
 * `kiln compile --signature NAME=SPEC`: the structure a sequence or optional graph input is compiled
 * for (its length and element dims, its presence), or the dims of a tensor input with symbolic ones
 * (compiler/structured-io.ts). Returns the signatures by input name.
 */
export function parseSignatures(specs: readonly string[]): Map<string, InputSignature> {
  const out = new Map<string, InputSignature>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0)
      throw new KilnError(`--signature ${spec}: not NAME=SPEC`, { expected: `NAME=SPEC, SPEC ${GRAMMAR}` });
    const name = spec.slice(0, eq);
    if (out.has(name))
      throw new KilnError(`--signature ${name} is given twice`, { expected: 'one per input' });
    out.set(name, parseSignature(spec.slice(eq + 1), `--signature ${name}`));
  }
  return out;
}

export function parseSignature(text: string, what = 'signature'): InputSignature {
  const s = text.trim();
  const fail = () => new KilnError(`${what}: cannot read '${text}'`, { expected: GRAMMAR });
  const optional = /^optional\((.*)\)$/.exec(s);
  if (optional) {
    const inner = optional[1]!.trim();
    if (!inner) return { kind: 'optional', value: null };
    const value = parseSignature(inner, what);
    if (value.kind === 'optional') throw fail();
    return { kind: 'optional', dtype: value.dtype, value };
  }
  if (s.startsWith('[') && s.endsWith(']')) return sequence(s.slice(1, -1).trim(), fail);
  return tensor(s, fail);
}

function tensor(s: string, fail: () => KilnError): TensorSignature {
  const m = TENSOR.exec(s.trim());
  if (!m || !(DTYPES as readonly string[]).includes(m[1]!)) throw fail();
  const dims = m[2]!.trim() ? m[2]!.split(',').map((d) => Number(d.trim())) : [];
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw fail();
  return { kind: 'tensor', dtype: m[1] as DType, shape: dims };
}

function sequence(body: string, fail: () => KilnError): SequenceSignature {
  if (!body) return { kind: 'sequence', dtype: 'float32', shapes: [] };
  // elements end at ']': split after each one
  const parts = body.match(/[^\]]*\]/g);
  if (!parts || parts.join('') !== body) throw fail();
  const elems = parts.map((p, i) => tensor(i ? p.replace(/^\s*,/, '') : p, fail));
  if (new Set(elems.map((e) => e.dtype)).size !== 1) throw fail();
  return { kind: 'sequence', dtype: elems[0]!.dtype, shapes: elems.map((e) => e.shape) };
}
