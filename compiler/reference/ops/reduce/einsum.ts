/**
 * Einsum (opset 12+): numpy-style equations with implicit or explicit output, repeated labels within an
 * operand (diagonals), ellipsis broadcasting and summation over labels absent from the output.
 */
import { isBigIntDType } from '../../../../runtime/dtype.js';
import { Tensor, allocData, stridesOf } from '../../../../runtime/tensor.js';
import { attrString } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { opError } from '../common.js';
import { flatOffsets } from './util.js';

interface Equation {
  /** Per input: one label per axis, ellipsis axes expanded to labels '0', '1', ... (right-aligned). */
  inputs: string[][];
  output: string[];
}

const LETTER = /^[a-zA-Z]$/;

/** Split a term into letters and '...'; returns letters with the ellipsis position (or -1). */
function parseTerm(node: Node, term: string): { letters: string[]; ellipsis: number } {
  const letters: string[] = [];
  let ellipsis = -1;
  for (let i = 0; i < term.length;) {
    if (term.startsWith('...', i)) {
      if (ellipsis >= 0) throw opError(node, `term '${term}' has more than one ellipsis`);
      ellipsis = letters.length;
      i += 3;
    } else if (LETTER.test(term[i]!)) letters.push(term[i++]!);
    else throw opError(node, `equation has unexpected character '${term[i]}'`, 'letters, ",", "->", "..."');
  }
  return { letters, ellipsis };
}

/** Parse against the operand ranks. Ellipsis labels are digits, aligned from the right as numpy does. */
export function parseEquation(node: Node, equation: string, ranks: number[]): Equation {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs, extra] = eq.split('->');
  if (extra !== undefined) throw opError(node, `equation '${equation}' has more than one '->'`);
  const terms = lhs!.split(',');
  if (terms.length !== ranks.length)
    throw opError(node, `equation has ${terms.length} operands but the node has ${ranks.length} inputs`);
  let ellRank = 0;
  const parsed = terms.map((t, k) => {
    const p = parseTerm(node, t);
    const e = ranks[k]! - p.letters.length;
    if (p.ellipsis < 0 ? e !== 0 : e < 0)
      throw opError(node, `term '${t}' does not match operand ${k} of rank ${ranks[k]}`);
    ellRank = Math.max(ellRank, e);
    return { ...p, ellDims: e };
  });
  const ellLabels = (n: number) => Array.from({ length: n }, (_, i) => String(ellRank - n + i));
  const inputs = parsed.map((p) =>
    p.ellipsis < 0
      ? p.letters
      : [...p.letters.slice(0, p.ellipsis), ...ellLabels(p.ellDims), ...p.letters.slice(p.ellipsis)],
  );
  let output: string[];
  if (rhs === undefined) {
    // Implicit output: broadcast ellipsis dims, then letters used exactly once, alphabetically.
    const count = new Map<string, number>();
    for (const p of parsed) for (const l of p.letters) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count].filter(([, c]) => c === 1).map(([l]) => l);
    output = [...ellLabels(ellRank), ...once.sort()];
  } else {
    const p = parseTerm(node, rhs);
    const known = new Set(parsed.flatMap((q) => q.letters));
    for (const l of p.letters)
      if (!known.has(l)) throw opError(node, `output label '${l}' does not appear in any input`);
    if (new Set(p.letters).size !== p.letters.length)
      throw opError(node, `output term '${rhs}' repeats a label`);
    if (p.ellipsis < 0 && ellRank > 0 && parsed.some((q) => q.ellDims > 0))
      throw opError(node, `output term '${rhs}' drops the ellipsis dimensions`, 'an ellipsis in the output');
    output =
      p.ellipsis < 0
        ? p.letters
        : [...p.letters.slice(0, p.ellipsis), ...ellLabels(ellRank), ...p.letters.slice(p.ellipsis)];
  }
  return { inputs, output };
}

/** Size of every label; ellipsis labels broadcast (1 stretches), letters must agree. */
function labelSizes(node: Node, eq: Equation, shapes: (readonly number[])[]): Map<string, number> {
  const sizes = new Map<string, number>();
  eq.inputs.forEach((labels, k) =>
    labels.forEach((l, a) => {
      const d = shapes[k]![a]!;
      const cur = sizes.get(l);
      if (cur === undefined || cur === d) sizes.set(l, d);
      else if (/\d/.test(l) && (cur === 1 || d === 1)) sizes.set(l, Math.max(cur, d));
      else
        throw opError(node, `label '${/\d/.test(l) ? '...' : l}' has sizes ${cur} and ${d}`, 'equal sizes');
    }),
  );
  return sizes;
}

export const einsumOps: OpDef[] = [
  {
    op: 'Einsum',
    versions: [12, 21],
    run: (inputs, { node }) => {
      if (inputs.length === 0 || inputs.some((t) => !t))
        throw opError(node, 'Einsum needs at least one input');
      const xs = inputs as Tensor[];
      const dtype = xs[0]!.dtype;
      if (dtype === 'string' || dtype === 'bool') throw opError(node, `dtype ${dtype} is not supported`);
      for (const t of xs) if (t.dtype !== dtype) throw opError(node, `inputs mix ${dtype} and ${t.dtype}`);
      const eq = parseEquation(
        node,
        attrString(node, 'equation'),
        xs.map((t) => t.rank),
      );
      const sizes = labelSizes(
        node,
        eq,
        xs.map((t) => t.shape),
      );
      const summed = [...sizes.keys()].filter((l) => !eq.output.includes(l));
      const loop = [...eq.output, ...summed];
      const dims = loop.map((l) => sizes.get(l)!);
      // Per input, the flat-index step of each loop label (repeated labels add: a diagonal).
      const steps = xs.map((t, k) => {
        const st = stridesOf(t.shape);
        return loop.map((l) =>
          eq.inputs[k]!.reduce((s, lab, a) => (lab === l && t.shape[a] !== 1 ? s + st[a]! : s), 0),
        );
      });
      const outShape = eq.output.map((l) => sizes.get(l)!);
      const nOut = outShape.reduce((a, b) => a * b, 1);
      const nO = eq.output.length;
      const sumDims = dims.slice(nO);
      // Per input: its flat offset for every output index and for every summed index (row-major).
      const outBase = steps.map((st) => flatOffsets(outShape, st.slice(0, nO)));
      const sumOff = steps.map((st) => flatOffsets(sumDims, st.slice(nO)));
      const nSum = sumOff[0]!.length;
      const out = allocData(dtype, nOut);
      const datas = xs.map((t) => t.data as ArrayLike<number | bigint>);
      if (isBigIntDType(dtype)) {
        const o = out as BigInt64Array;
        for (let i = 0; i < nOut; i++) {
          let acc = 0n;
          for (let j = 0; j < nSum; j++) {
            let p = 1n;
            for (let k = 0; k < xs.length; k++) p *= datas[k]![outBase[k]![i]! + sumOff[k]![j]!] as bigint;
            acc += p;
          }
          o[i] = acc;
        }
      } else if (xs.length === 2) {
        // The common two-operand case (matmul-like) without the per-operand loop.
        const [a, b] = datas as ArrayLike<number>[];
        const [oa, ob] = outBase as [Int32Array, Int32Array];
        const [sa, sb] = sumOff as [Int32Array, Int32Array];
        const o = out as Float64Array;
        for (let i = 0; i < nOut; i++) {
          const ba = oa[i]!;
          const bb = ob[i]!;
          let acc = 0;
          for (let j = 0; j < nSum; j++) acc += a![ba + sa[j]!]! * b![bb + sb[j]!]!;
          o[i] = acc;
        }
      } else {
        const o = out as Float64Array;
        for (let i = 0; i < nOut; i++) {
          let acc = 0;
          for (let j = 0; j < nSum; j++) {
            let p = 1;
            for (let k = 0; k < xs.length; k++) p *= datas[k]![outBase[k]![i]! + sumOff[k]![j]!] as number;
            acc += p;
          }
          o[i] = acc;
        }
      }
      return [new Tensor(dtype, outShape, out)];
    },
    infer: (ctx) => {
      const ts = ctx.inputs;
      if (ts.length === 0 || !ts[0]) return [undefined];
      const dtype = ts[0].dtype;
      if (ts.some((t) => !t?.shape)) return [{ dtype }];
      const shapes = ts.map((t) => t!.shape!);
      const eq = parseEquation(
        ctx.node,
        attrString(ctx.node, 'equation'),
        shapes.map((s) => s.length),
      );
      const sizes = new Map<string, Dim>();
      eq.inputs.forEach((labels, k) =>
        labels.forEach((l, a) => {
          const d = shapes[k]![a]!;
          const cur = sizes.get(l);
          if (cur === undefined || cur === 1) sizes.set(l, d);
          else if (typeof cur === 'number' && typeof d === 'number' && d !== cur && d !== 1)
            throw opError(ctx.node, `label '${l}' has sizes ${cur} and ${d}`, 'equal sizes');
          else if (typeof cur === 'string' && typeof d === 'number' && d !== 1) sizes.set(l, d);
        }),
      );
      return [{ dtype, shape: eq.output.map((l) => sizes.get(l)!) }];
    },
  },
];
