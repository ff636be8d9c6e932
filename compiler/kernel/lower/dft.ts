import { KilnError } from '../../../runtime/errors.js';
import { attrInt } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { type Expr, type Stmt, affine } from '../ir.js';
import type { LowerContext } from './context.js';

const c = (v: number): Expr => ({ k: 'const', v });
const acc = (name: string): Expr => ({ k: 'acc', name });
const mul = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: 'mul', a, b });
const add = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: 'add', a, b });
const sub = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: 'sub', a, b });

/**
 * DFT (float32) as a direct sum against twiddle tables computed at compile time (in float64, from
 * the exact index k·t mod L, as the reference): per line along the axis and output bin,
 * Σ_t x[t]·e^(∓2πi·kt/L), zero-padded or truncated to dft_length L, onesided keeping L/2+1 bins,
 * inverse scaled by 1/L. O(L²) per line, no FFT. dft_length and (from opset 20) axis are shape
 * operands.
 */
export function lowerDft(node: Node, ctx: LowerContext): void {
  const shape = ctx.shape(node, node.inputs[0]!);
  const outShape = ctx.shape(node, node.outputs[0]!);
  const rank = shape.length;
  const axisInput = ctx.opset(node) >= 20 ? node.inputs[2] : undefined;
  let a = ctx.opset(node) < 20 ? attrInt(node, 'axis', 1) : -2;
  if (axisInput) {
    const t = ctx.constant(axisInput);
    if (!t)
      throw new KilnError(`axis ('${axisInput}') must be a constant for the wasm target`, {
        node: node.name,
        op: node.op,
        expected: 'an initializer or a bound input',
      });
    a = Number(t.data[0]);
  }
  const axis = a < 0 ? a + rank : a;
  const n = shape[axis]!;
  const outLen = outShape[axis]!;
  const inverse = attrInt(node, 'inverse', 0) !== 0;
  const L = node.inputs[1] ? Number(ctx.constant(node.inputs[1])?.data[0] ?? n) : n;
  const m = Math.min(n, L);
  const complex = shape[rank - 1] === 2;
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1, rank - 1).reduce((p, d) => p * d, 1);
  const cd = shape[rank - 1]!;
  const x = ctx.valueBuffer(node, node.inputs[0]!);
  const xAt = affine(0, ['o', n * inner * cd], ['t', inner * cd], ['q', cd]);
  const xr: Expr = { k: 'load', buf: x, at: xAt };
  const xi: Expr = complex ? { k: 'load', buf: x, at: { ...xAt, c: 1 } } : c(0);
  const out = ctx.activation(
    node.outputs[0]!,
    outShape.reduce((p, d) => p * d, 1),
  );
  const line = dftLine(ctx, node, {
    bins: outLen,
    points: m,
    length: L,
    inverse,
    xr,
    xi,
    store: (comp, value) => ({
      k: 'store',
      buf: out,
      at: affine(comp, ['o', outLen * inner * 2], ['k', inner * 2], ['q', 2]),
      value,
    }),
  });
  ctx.emit({
    kind: 'loops',
    name: 'dft',
    nodes: [node.name],
    buffers: [],
    body: [
      {
        k: 'loop',
        v: 'o',
        n: outer,
        body: [{ k: 'loop', v: 'k', n: outLen, body: [{ k: 'loop', v: 'q', n: inner, body: line }] }],
      },
    ],
  });
}

/** One transformed line: the input's real and imaginary parts at point `t`, and where bin `k` goes. */
export interface DftLine {
  /** Output bins computed (loop variable `k`, which the caller's loops provide). */
  bins: number;
  /** Input points summed (loop variable `t`, looped here): min(input length, transform length). */
  points: number;
  /** Transform length L (twiddles e^(∓2πi·kt/L)). */
  length: number;
  inverse: boolean;
  xr: Expr;
  xi: Expr;
  /** The store of component 0 (real) or 1 (imaginary) of bin `k`. */
  store: (comp: 0 | 1, value: Expr) => Stmt;
}

/**
 * The statements for one output bin `k` of a line (DFT, STFT): Σ_t x[t]·tw[k, t] over complex
 * values, against cos/sin tables computed at compile time in float64 from the exact index k·t mod L
 * (as the reference executor), scaled by 1/L when inverse.
 */
export function dftLine(ctx: LowerContext, node: Node, d: DftLine): Stmt[] {
  const { bins, points: m, length: L, xr, xi } = d;
  const sign = d.inverse ? 1 : -1;
  const cosT = new Float32Array(bins * m);
  const sinT = new Float32Array(bins * m);
  for (let k = 0; k < bins; k++)
    for (let t = 0; t < m; t++) {
      const j = (k * t) % L;
      cosT[k * m + t] = Math.cos((2 * Math.PI * j) / L);
      sinT[k * m + t] = sign * Math.sin((2 * Math.PI * j) / L);
    }
  const cosB = ctx.weight(`${node.name}:cos`, cosT);
  const sinB = ctx.weight(`${node.name}:sin`, sinT);
  const tw = (buf: string): Expr => ({ k: 'load', buf, at: affine(0, ['k', m], ['t', 1]) });
  const scale = d.inverse ? 1 / L : 1;
  return [
    { k: 'set', acc: 'sr', value: c(0) },
    { k: 'set', acc: 'si', value: c(0) },
    {
      k: 'loop',
      v: 't',
      n: m,
      body: [
        { k: 'set', acc: 'sr', value: add(acc('sr'), sub(mul(xr, tw(cosB)), mul(xi, tw(sinB)))) },
        { k: 'set', acc: 'si', value: add(acc('si'), add(mul(xr, tw(sinB)), mul(xi, tw(cosB)))) },
      ],
    },
    d.store(0, mul(acc('sr'), c(scale))),
    d.store(1, mul(acc('si'), c(scale))),
  ];
}
