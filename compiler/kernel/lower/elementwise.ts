import { KilnError } from '../../../runtime/errors.js';
import { attrFloat, attrFloatOpt, attrInt, attrString } from '../../ir/attrs.js';
import type { Node } from '../../ir/graph.js';
import { legacyBroadcastShape } from '../../reference/ops/math/util.js';
import { type BinaryOp, type Expr, type ScalarType, computeType } from '../ir.js';
import { type LowerContext, constantF32 } from './context.js';
import { broadcastIndex, loopNest } from './loops.js';

const c = (v: number): Expr => ({ k: 'const', v });
const bin = (op: BinaryOp, a: Expr, b: Expr): Expr => ({
  k: 'bin',
  op,
  a,
  b,
});
const un = (op: Extract<Expr, { k: 'un' }>['op'], a: Expr): Expr => ({ k: 'un', op, a });
const gt0 = (x: Expr, t: Expr, f: Expr): Expr => ({ k: 'select', cmp: 'gt', a: x, b: c(0), t, f });

/** softplus(x) = max(x, 0) + log(1 + exp(-|x|)), stable for large |x|. */
const softplus = (x: Expr): Expr =>
  bin('add', bin('max', x, c(0)), un('log', bin('add', c(1), un('exp', un('neg', un('abs', x))))));

/** Unary ops as expressions of their input `x` (one definition, rendered by every target). */
export function unaryExpr(node: Node, x: Expr, ctx: LowerContext): Expr | undefined {
  switch (node.op) {
    case 'Relu':
      return bin('max', x, c(0));
    case 'Sigmoid':
      return un('sigmoid', x);
    case 'Tanh':
      return un('tanh', x);
    case 'Exp':
      return un('exp', x);
    case 'Log':
      return un('log', x);
    case 'Neg':
      return un('neg', x);
    case 'Abs':
      return un('abs', x);
    case 'Sqrt':
      return un('sqrt', x);
    case 'Erf':
      return un('erf', x);
    case 'Floor':
      return un('floor', x);
    case 'Ceil':
      return un('ceil', x);
    case 'Reciprocal':
      return un('recip', x);
    case 'Round':
      return un('round', x);
    case 'Not':
      return bin('sub', c(1), x);
    case 'IsNaN':
      return { k: 'select', cmp: 'eq', a: x, b: x, t: c(0), f: c(1) };
    case 'IsInf': {
      const pos = attrInt(node, 'detect_positive', 1);
      const neg = attrInt(node, 'detect_negative', 1);
      const hit = (v: number, rest: Expr): Expr => ({
        k: 'select',
        cmp: 'eq',
        a: x,
        b: c(v),
        t: c(1),
        f: rest,
      });
      return pos && neg
        ? hit(Infinity, hit(-Infinity, c(0)))
        : pos
          ? hit(Infinity, c(0))
          : neg
            ? hit(-Infinity, c(0))
            : c(0);
    }
    case 'Sin':
      return un('sin', x);
    case 'Cos':
      return un('cos', x);
    case 'Tan':
      return un('tan', x);
    case 'Atan':
      return un('atan', x);
    case 'Asin':
      return un('asin', x);
    case 'Acos':
      return un('acos', x);
    case 'Identity':
    case 'Dropout':
      return x;
    case 'LeakyRelu':
      return gt0(x, x, bin('mul', x, c(attrFloat(node, 'alpha', 0.01))));
    case 'Elu': {
      const alpha = attrFloat(node, 'alpha', 1);
      return gt0(x, x, bin('mul', c(alpha), bin('sub', un('exp', x), c(1))));
    }
    case 'Selu': {
      const alpha = attrFloat(node, 'alpha', 1.67326319217681884765625);
      const gamma = attrFloat(node, 'gamma', 1.05070102214813232421875);
      return bin('mul', c(gamma), gt0(x, x, bin('mul', c(alpha), bin('sub', un('exp', x), c(1)))));
    }
    case 'HardSigmoid':
      return bin(
        'max',
        c(0),
        bin(
          'min',
          c(1),
          bin('add', bin('mul', x, c(attrFloat(node, 'alpha', 0.2))), c(attrFloat(node, 'beta', 0.5))),
        ),
      );
    case 'HardSwish':
      return bin('mul', x, bin('max', c(0), bin('min', c(1), bin('add', bin('mul', x, c(1 / 6)), c(0.5)))));
    case 'Softplus':
      return softplus(x);
    case 'Softsign':
      return bin('div', x, bin('add', c(1), un('abs', x)));
    case 'Mish':
      return bin('mul', x, un('tanh', softplus(x)));
    case 'Gelu': {
      if (attrString(node, 'approximate', 'none') === 'tanh') {
        const inner = bin(
          'mul',
          c(Math.sqrt(2 / Math.PI)),
          bin('add', x, bin('mul', c(0.044715), bin('mul', x, bin('mul', x, x)))),
        );
        return bin('mul', bin('mul', c(0.5), x), bin('add', c(1), un('tanh', inner)));
      }
      return bin('mul', bin('mul', c(0.5), x), bin('add', c(1), un('erf', bin('mul', x, c(Math.SQRT1_2)))));
    }
    case 'Clip': {
      const [lo, hi] = clipBounds(node, ctx);
      return bin('min', bin('max', x, c(lo)), c(hi));
    }
    case 'Sign':
      return gt0(x, c(1), { k: 'select', cmp: 'lt', a: x, b: c(0), t: c(-1), f: c(0) });
    case 'ThresholdedRelu':
      return { k: 'select', cmp: 'gt', a: x, b: c(attrFloat(node, 'alpha', 1)), t: x, f: c(0) };
    case 'Shrink': {
      const l = attrFloat(node, 'lambd', 0.5);
      const b = attrFloat(node, 'bias', 0);
      return {
        k: 'select',
        cmp: 'lt',
        a: x,
        b: c(-l),
        t: bin('add', x, c(b)),
        f: { k: 'select', cmp: 'gt', a: x, b: c(l), t: bin('sub', x, c(b)), f: c(0) },
      };
    }
    case 'Celu': {
      const alpha = attrFloat(node, 'alpha', 1);
      const neg = bin('mul', c(alpha), bin('sub', un('exp', bin('mul', x, c(1 / alpha))), c(1)));
      return bin('add', bin('max', x, c(0)), bin('min', c(0), neg));
    }
    default:
      {
        const e = hyperbolicExpr(node.op, x);
        if (e) return e;
        return undefined;
      }
      return undefined;
  }
}

/** Cast/CastLike: to bool, nonzero → 1 (NaN too); otherwise a conversion (casts between types held alike are views). */
function castExpr(node: Node, x: Expr, ctx: LowerContext): Expr {
  if (ctx.dtype(node.outputs[0]!) === 'bool')
    return { k: 'select', cmp: 'eq', a: x, b: c(0), t: c(0), f: c(1) };
  return { k: 'cast', to: computeType(ctx.elemType(node, node.outputs[0]!)), a: x };
}

/** Hyperbolic functions from exp/log/sqrt; odd ones computed on |x| with the sign put back. */
function hyperbolicExpr(op: string, x: Expr): Expr | undefined {
  const half = (e: Expr) => bin('mul', c(0.5), e);
  const signed = (f: (ax: Expr) => Expr) => {
    const ax = un('abs', x);
    return { k: 'select', cmp: 'lt', a: x, b: c(0), t: un('neg', f(ax)), f: f(ax) } as Expr;
  };
  switch (op) {
    case 'Sinh':
      return half(bin('sub', un('exp', x), un('exp', un('neg', x))));
    case 'Cosh':
      return half(bin('add', un('exp', x), un('exp', un('neg', x))));
    case 'Asinh':
      return signed((ax) => un('log', bin('add', ax, un('sqrt', bin('add', bin('mul', ax, ax), c(1))))));
    case 'Acosh':
      return un('log', bin('add', x, un('sqrt', bin('sub', bin('mul', x, x), c(1)))));
    case 'Atanh':
      return half(un('log', bin('div', bin('add', c(1), x), bin('sub', c(1), x))));
    default:
      return undefined;
  }
}

function clipBounds(node: Node, ctx: LowerContext): [number, number] {
  if (
    node.inputs.length <= 1 &&
    (attrFloatOpt(node, 'min') !== undefined || attrFloatOpt(node, 'max') !== undefined)
  ) {
    return [attrFloat(node, 'min', -3.4028234663852886e38), attrFloat(node, 'max', 3.4028234663852886e38)];
  }
  // an absent bound is ±Infinity: no bound on floats, the type's extreme on integers
  const bound = (i: number, what: string) => {
    const t = ctx.constant(node.inputs[i]!);
    return t && typeof t.data[0] === 'bigint'
      ? Number(t.data[0])
      : constantF32(ctx, node, node.inputs[i]!, what)[0]!;
  };
  const lo = node.inputs[1] ? bound(1, 'Clip min') : -Infinity;
  const hi = node.inputs[2] ? bound(2, 'Clip max') : Infinity;
  return [lo, hi];
}

const BINARY: Record<string, 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min'> = {
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  Div: 'div',
  Max: 'max',
  Min: 'min',
  Sum: 'add',
  Mean: 'add',
};

/** Comparisons and logic on 0/1 floats (bool values on this target, see dtypes.ts), Where and float Mod. */
const CMP: Record<string, 'gt' | 'lt' | 'eq' | 'ge' | 'le'> = {
  Greater: 'gt',
  Less: 'lt',
  Equal: 'eq',
  GreaterOrEqual: 'ge',
  LessOrEqual: 'le',
};
function logicExpr(op: string, a: Expr, b: Expr, w?: Expr): Expr | undefined {
  if (op in CMP) return { k: 'select', cmp: CMP[op]!, a, b, t: c(1), f: c(0) };
  if (op === 'And') return bin('mul', a, b);
  if (op === 'Or') return bin('max', a, b);
  if (op === 'Xor') return { k: 'select', cmp: 'eq', a, b, t: c(0), f: c(1) };
  if (op === 'Mod') {
    // fmod: a − b·trunc(a/b) (float Mod requires fmod=1, the sign follows a)
    const q = bin('div', a, b);
    const trunc: Expr = { k: 'select', cmp: 'lt', a: q, b: c(0), t: un('ceil', q), f: un('floor', q) };
    return bin('sub', a, bin('mul', b, trunc));
  }
  if (op === 'Where') return { k: 'select', cmp: 'eq', a, b: c(0), t: w!, f: b };
  return undefined;
}
const LOGIC = new Set([...Object.keys(CMP), 'And', 'Or', 'Xor', 'Where', 'Mod']);

/** Integer-only binary ops (BitShift's direction is an attribute). */
const BITWISE: Record<string, 'and' | 'or' | 'xor'> = {
  BitwiseAnd: 'and',
  BitwiseOr: 'or',
  BitwiseXor: 'xor',
};

/** Ops lowered here beyond the unary ones: binary/variadic, PRelu, Pow, Clip with runtime bounds. */
const OTHERS = new Set(['PRelu', 'Pow', 'BitShift', 'BitwiseNot', ...Object.keys(BITWISE), ...LOGIC]);

/** What an op computes in on integers and doubles (the rest of this file is float32 only). */
const INT_OPS = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Mod',
  'Neg',
  'Abs',
  'Sign',
  'Min',
  'Max',
  'Sum',
  'Clip',
  'Relu',
  'Identity',
  'Cast',
  'CastLike',
  'BitShift',
  'BitwiseNot',
  ...Object.keys(BITWISE),
  ...Object.keys(CMP),
  'Where',
]);
/**
 * Every op lowered here for a type other than float32 (a superset of INT_OPS and U64_OPS): dtypes.ts
 * lets these through its float32-only check.
 */
export const F64_OPS = new Set([...INT_OPS, 'Mean', 'Floor', 'Ceil', 'Round', 'Sqrt', 'Reciprocal']);
/** uint64 is held in i64 bits: only ops that are the same on signed and unsigned bits. */
const U64_OPS = new Set([
  'Add',
  'Sub',
  'Mul',
  'Identity',
  'BitShift',
  'BitwiseNot',
  'Where',
  'Equal',
  'Max',
  'Min',
  'Mod',
  ...Object.keys(BITWISE),
]);

/** Max/Min of uint64 bits: compared as signed after flipping the top bit (x ^ 2^63 keeps the order). */
function unsignedExtreme(op: 'max' | 'min', a: Expr, b: Expr): Expr {
  const top = bin('shl', c(1), c(63));
  return {
    k: 'select',
    cmp: op === 'max' ? 'gt' : 'lt',
    a: bin('xor', a, top),
    b: bin('xor', b, top),
    t: a,
    f: b,
  };
}

/** Integer Mod: fmod=1 is C's remainder (dividend's sign); fmod=0 takes the divisor's sign. */
function intMod(a: Expr, b: Expr, fmod: boolean): Expr {
  const r = bin('rem', a, b);
  if (fmod) return r;
  const fix: Expr = { k: 'select', cmp: 'lt', a: bin('xor', r, b), b: c(0), t: bin('add', r, b), f: r };
  return { k: 'select', cmp: 'eq', a: r, b: c(0), t: r, f: fix };
}

export function isElementwise(op: string): boolean {
  return (
    op === 'Cast' ||
    op === 'CastLike' ||
    op in BINARY ||
    OTHERS.has(op) ||
    unaryExpr({ name: '', op, domain: '', inputs: [], outputs: [], attrs: {} }, c(0), null as never) !==
      undefined
  );
}

/**
 * An operand's shape for broadcasting. Before opset 7, B of Add/Sub/Mul/Div aligns at `axis` (the
 * legacy broadcast attributes) and a 1-D PRelu slope of the channel count applies per channel.
 */
function operandShape(node: Node, ctx: LowerContext, i: number): number[] {
  const shape = ctx.shape(node, node.inputs[i]!);
  if (i !== 1 || ctx.opset(node) >= 7) return shape;
  const x = ctx.shape(node, node.inputs[0]!);
  if (['Add', 'Sub', 'Mul', 'Div', 'And', 'Or', 'Xor', 'Equal', 'Greater', 'Less'].includes(node.op))
    return legacyBroadcastShape(node, x, shape);
  if (node.op === 'PRelu' && shape.length === 1 && x.length >= 2 && shape[0] !== 1 && shape[0] === x[1])
    return [shape[0]!, ...new Array<number>(x.length - 2).fill(1)];
  return shape;
}

/** Clip whose bounds are graph values rather than attributes or constants. */
function runtimeClip(node: Node, ctx: LowerContext): boolean {
  return node.op === 'Clip' && node.inputs.slice(1).some((v) => v && !ctx.constant(v));
}

/** A scalar constant exponent of Pow, or undefined when the exponent is a tensor or not constant. */
function constExponent(node: Node, ctx: LowerContext): number | undefined {
  const p = ctx.constant(node.inputs[1]!);
  return p && p.size === 1 ? Number((p.data as ArrayLike<number | bigint>)[0]) : undefined;
}

/**
 * One elementwise node → one loop kernel over the output shape; inputs broadcast by stride-0 indexing,
 * the innermost loop vectorised. Constant operands become weight buffers.
 */
export function lowerElementwise(node: Node, ctx: LowerContext): void {
  const out = node.outputs[0]!;
  const outShape = ctx.shape(node, out);
  // the type operands are computed in: the data input's (Where: x's; Cast: its input's)
  const dataIn = node.op === 'Where' ? 1 : 0;
  const elem = ctx.elemType(node, node.inputs[dataIn]!);
  const t: ScalarType = computeType(elem);
  const allowed = elem === 'u64' ? U64_OPS : t === 'f64' ? F64_OPS : t === 'f32' ? undefined : INT_OPS;
  if (allowed && !allowed.has(node.op))
    throw new KilnError(
      `${node.op} on ${ctx.dtype(node.inputs[dataIn]!)} is not lowered for the wasm target`,
      {
        node: node.name,
        op: node.op,
        expected: 'float32 operands',
      },
    );
  if ((elem === 'u64' || ctx.bufferType(out) === 'u64') && (node.op === 'Cast' || node.op === 'CastLike'))
    if (t === 'f32' || t === 'f64' || computeType(ctx.elemType(node, out)).startsWith('f'))
      throw new KilnError('Cast between uint64 and floating point is not lowered for the wasm target', {
        node: node.name,
        op: node.op,
        expected: 'uint64 ↔ integer casts',
      });
  if (node.op === 'Mod' && t.startsWith('f') && attrInt(node, 'fmod', 0) !== 1)
    throw new KilnError('Mod with fmod=0 on floats', { node: node.name, op: node.op, expected: 'fmod=1' });
  // Operands read per element: every input of binary/variadic ops, PRelu and a tensor-exponent Pow,
  // Clip's runtime bounds; otherwise the first input only (constant scalars fold into the expression).
  const perElement =
    node.op in BINARY ||
    node.op in BITWISE ||
    node.op === 'BitShift' ||
    LOGIC.has(node.op) ||
    node.op === 'PRelu' ||
    (node.op === 'Pow' && constExponent(node, ctx) === undefined) ||
    runtimeClip(node, ctx);
  const used = perElement ? node.inputs.map((v, i) => (v ? i : -1)).filter((i) => i >= 0) : [0];
  const loads = new Map(
    used.map((i) => {
      const name = node.inputs[i]!;
      const shape = operandShape(node, ctx, i);
      const buf = ctx.constant(name) ? ctx.constantBuffer(node, name) : ctx.buffer(name);
      return [i, (vars: string[]): Expr => ({ k: 'load', buf, at: broadcastIndex(shape, outShape, vars) })];
    }),
  );
  const value = (vars: string[]): Expr => {
    const ld = (i: number) => loads.get(i)!(vars);
    const x = ld(0);
    // unsigned: the remainder's sign question does not arise
    if (node.op === 'Mod' && elem === 'u64') return bin('rem_u', x, ld(1));
    if ((node.op === 'Max' || node.op === 'Min') && elem === 'u64') {
      let e = x;
      for (const i of used.slice(1)) e = unsignedExtreme(node.op === 'Max' ? 'max' : 'min', e, ld(i));
      return e;
    }
    if (node.op === 'Mod' && !t.startsWith('f')) return intMod(x, ld(1), attrInt(node, 'fmod', 0) === 1);
    if (node.op in BITWISE) return bin(BITWISE[node.op]!, x, ld(1));
    if (node.op === 'BitShift')
      return bin(attrString(node, 'direction', 'LEFT') === 'RIGHT' ? 'shr_u' : 'shl', x, ld(1));
    if (node.op === 'BitwiseNot') return un('not', x);
    if (node.op === 'Cast' || node.op === 'CastLike') return castExpr(node, x, ctx);
    if (node.op in BINARY) {
      let e = x;
      for (const i of used.slice(1)) e = bin(BINARY[node.op]!, e, ld(i));
      return node.op === 'Mean' ? bin('mul', e, c(1 / used.length)) : e;
    }
    if (LOGIC.has(node.op)) return logicExpr(node.op, x, ld(1), loads.has(2) ? ld(2) : undefined)!;
    if (node.op === 'PRelu') return { k: 'select', cmp: 'lt', a: x, b: c(0), t: bin('mul', x, ld(1)), f: x };
    if (node.op === 'Pow') {
      const p = constExponent(node, ctx);
      // an integer exponent tensor is converted to the base's float type
      if (p !== undefined) return powConst(x, p);
      const same = ctx.elemType(node, node.inputs[1]!) === ctx.elemType(node, node.inputs[0]!);
      return powExpr(x, same ? ld(1) : { k: 'cast', to: t, a: ld(1) });
    }
    if (node.op === 'Clip' && perElement) {
      let e = x;
      if (loads.has(1)) e = bin('max', e, ld(1));
      if (loads.has(2)) e = bin('min', e, ld(2));
      return e;
    }
    const e = unaryExpr(node, x, ctx);
    if (!e)
      throw new KilnError(`op ${node.op} cannot be lowered for the wasm target`, {
        node: node.name,
        op: node.op,
      });
    return e;
  };
  const dst = ctx.activation(
    out,
    outShape.reduce((a, b) => a * b, 1),
  );
  ctx.emit({
    kind: 'loops',
    name: node.op,
    nodes: [node.name],
    buffers: [],
    body: loopNest(outShape, 'i', (vars) => [
      { k: 'store', buf: dst, at: broadcastIndex(outShape, outShape, vars), value: value(vars) },
    ]),
  });
}

/** x^p for a constant p: exact repeated multiplication for small integers, else the general form. */
function powConst(x: Expr, p: number): Expr {
  if (Number.isInteger(p) && Math.abs(p) <= 16) {
    if (p === 0) return c(1);
    // square-and-multiply keeps the rounding close to a correctly rounded pow
    let r: Expr | undefined;
    let base = x;
    for (let e = Math.abs(p); e > 0; e >>= 1) {
      if (e & 1) r = r ? bin('mul', r, base) : base;
      if (e > 1) base = bin('mul', base, base);
    }
    return p < 0 ? un('recip', r!) : r!;
  }
  if (p === 0.5) return un('sqrt', x);
  if (p === -0.5) return un('recip', un('sqrt', x));
  return powExpr(x, c(p));
}

/**
 * a^b = exp(b·log|a|), with ONNX's sign rules: b = 0 gives 1, a negative base gives a negative
 * result for odd integer b and NaN for non-integer b.
 */
export function powExpr(a: Expr, b: Expr): Expr {
  const mag = un('exp', bin('mul', b, un('log', un('abs', a))));
  const fb = un('floor', b);
  const odd: Expr = {
    k: 'select',
    cmp: 'eq',
    a: bin('sub', b, bin('mul', c(2), un('floor', bin('mul', b, c(0.5))))),
    b: c(1),
    t: un('neg', mag),
    f: mag,
  };
  const negBase: Expr = { k: 'select', cmp: 'eq', a: fb, b, t: odd, f: c(NaN) };
  return {
    k: 'select',
    cmp: 'eq',
    a: b,
    b: c(0),
    t: c(1),
    f: { k: 'select', cmp: 'lt', a, b: c(0), t: negBase, f: mag },
  };
}
