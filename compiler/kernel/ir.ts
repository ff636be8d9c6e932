/**
 * The kernel IR: what a fused group of graph nodes becomes before a target sees it. One lowering per
 * op group produces it; each target renders it (WASM via binaryen today; WGSL and CUDA C render the
 * same structures). Two forms:
 * - `LoopKernel`: an explicit loop nest over f32 buffers with affine indexing, for elementwise chains,
 *   reductions, pooling and data movement. Loops marked `vector` are rendered with 4-lane SIMD.
 * - `TemplateKernel`: a named hand-tuned template (gemm, ...) with tunable parameters, for hot ops.
 * Buffers are named; the memory plan assigns them offsets (arena) or they are weights/IO.
 * Element types are explicit (see ElemType/ScalarType): a renderer without 64-bit types (WGSL) can
 * see i64/f64 and refuse or emulate them.
 */

/**
 * How a buffer stores its elements. f32, f64, i32 and i64 are also compute types; the others are
 * storage-only and widen on load (see computeType): i8/u8/i16/u16 to i32, u32 to i64 (so unsigned
 * values stay exact), u64 to i64 (the same bits: only movement, bitwise ops and shifts are unsigned-safe),
 * f16/bf16 to f32 (converted on load, rounded to nearest even on store). bool values are f32 0/1.
 */
export type ElemType =
  'f32' | 'f64' | 'i32' | 'i64' | 'i8' | 'u8' | 'i16' | 'u16' | 'u32' | 'u64' | 'f16' | 'bf16';
/** The type of an expression. */
export type ScalarType = 'f32' | 'f64' | 'i32' | 'i64';

export function computeType(t: ElemType): ScalarType {
  switch (t) {
    case 'i8':
    case 'u8':
    case 'i16':
    case 'u16':
      return 'i32';
    case 'u32':
    case 'u64':
      return 'i64';
    case 'f16':
    case 'bf16':
      return 'f32';
    default:
      return t;
  }
}

export function elemBytes(t: ElemType): number {
  switch (t) {
    case 'i8':
    case 'u8':
      return 1;
    case 'i16':
    case 'u16':
    case 'f16':
    case 'bf16':
      return 2;
    case 'f64':
    case 'i64':
    case 'u64':
      return 8;
    default:
      return 4;
  }
}

export const isIntType = (t: ScalarType): boolean => t === 'i32' || t === 'i64';

export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'sqrt'
  | 'exp'
  | 'log'
  | 'tanh'
  | 'sigmoid'
  | 'erf'
  | 'floor'
  | 'ceil'
  | 'recip'
  | 'sin'
  | 'cos'
  | 'tan'
  | 'atan'
  | 'asin'
  | 'acos'
  | 'round'
  /** Integer types only: bitwise not. */
  | 'not';
/**
 * On integers `div` truncates toward zero and `rem` takes the dividend's sign (C semantics); `and`,
 * `or`, `xor`, `shl`, `shr_u` (logical right shift) and `rem_u` (remainder of the operands' bits
 * read as unsigned, for uint64) are integer-only.
 */
export type BinaryOp =
  'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'rem' | 'rem_u' | 'and' | 'or' | 'xor' | 'shl' | 'shr_u';
export type CompareOp = 'lt' | 'le' | 'gt' | 'ge' | 'eq';

/**
 * An index into a buffer: sum of coefficient × loop variable, plus a constant (elements, not bytes).
 * `dyn`: run-time terms, coefficient × an integer expression (e.g. Gather's indices, already
 * normalised and in range); an index with them is not affine, so such accesses are never vectorised.
 */
export interface Affine {
  terms: { v: string; c: number }[];
  c: number;
  dyn?: { e: Expr; c: number }[];
}

/**
 * Expressions are typed: a load has its buffer's compute type, a constant its `t` (filled in by
 * resolveTypes from its context before a kernel is emitted), `cast` converts, and every other node has
 * its operands' type (a comparison's operands share one type; `select` has the type of `t`/`f`).
 */
export type Expr =
  | { k: 'const'; v: number; t?: ScalarType }
  /**
   * Conversion. Float → int truncates toward zero (saturating; NaN gives 0); int → float rounds to
   * nearest; i64 → i32 wraps; i32 → i64 sign-extends.
   */
  | { k: 'cast'; to: ScalarType; a: Expr }
  | { k: 'load'; buf: string; at: Affine }
  | { k: 'acc'; name: string }
  | { k: 'un'; op: UnaryOp; a: Expr }
  | { k: 'bin'; op: BinaryOp; a: Expr; b: Expr }
  /** (a cmp b) ? t : f */
  | { k: 'select'; cmp: CompareOp; a: Expr; b: Expr; t: Expr; f: Expr };

export type Stmt =
  | { k: 'loop'; v: string; n: number; body: Stmt[]; vector?: boolean }
  | { k: 'store'; buf: string; at: Affine; value: Expr }
  /** Declare or overwrite an accumulator (a register-like local). */
  | { k: 'set'; acc: string; value: Expr };

export type BufferRole = 'input' | 'output' | 'weight' | 'temp';

export interface KernelBuffer {
  name: string;
  /** Elements. */
  size: number;
  role: BufferRole;
  /** Element type (default f32). */
  dtype?: ElemType;
}

export interface LoopKernel {
  kind: 'loops';
  name: string;
  /** Graph nodes this kernel implements, for the artifact's kernel table and error messages. */
  nodes: string[];
  buffers: KernelBuffer[];
  body: Stmt[];
}

/**
 * One level of batching around a GEMM (batch items, conv groups): the kernel runs `count` times, and
 * each repetition moves A, B, C and the bias by these strides (elements).
 */
export interface GemmBatch {
  count: number;
  a: number;
  b: number;
  c: number;
  bias: number;
}

/**
 * C[m, n] = epilogue(sum_k A[m, k] * B[k, n] + bias), C row-major M×N.
 * - A: 'rowmajor' M×K, or 'packed' in tiles of `tile.mr` rows (packGemmA, for constant weights).
 * - B: 'packed' in panels of `tile.nr` columns (packGemmB, for constant weights), 'rowmajor' K×N
 *   with row stride `ldb` (an activation, e.g. a conv input or its im2col buffer), or 'conv': a
 *   convolution's input gathered as its im2col matrix would hold it (`conv`; only for targets that
 *   ask the lowering for implicit-GEMM convolutions, see LowerOptions).
 * - bias: per output column (`biasPer: 'column'`, padded to whole panels, see padBias) or per output
 *   row (`'row'`, e.g. a conv's output channel).
 */
export interface GemmKernel {
  kind: 'gemm';
  name: string;
  nodes: string[];
  buffers: KernelBuffer[];
  m: number;
  n: number;
  k: number;
  a: string;
  aLayout: 'rowmajor' | 'packed';
  b: string;
  bLayout: 'packed' | 'rowmajor' | 'conv';
  /** bLayout 'conv': how B[k, n] is read from the (unpadded) input. */
  conv?: ConvGather;
  /** Row stride of a row-major B (elements); defaults to n. */
  ldb?: number;
  bias?: string;
  biasPer: 'column' | 'row';
  c: string;
  /** Outer loops, outermost first. */
  batch?: GemmBatch[];
  activation: Activation;
  /** Micro-tile rows × columns; `kc`: k block length (passes over C, each a block of A in cache). */
  tile: { mr: number; nr: number; kc?: number };
}

/**
 * An implicit im2col matrix: B[k, n] with k = (c, kh, kw) over `channels`×`kernel`, n = (oh, ow) over
 * the output positions; it holds input[c, oh·sh − padTop + kh·dh, ow·sw − padLeft + kw·dw] of one
 * batch item and group (C×H×W at the batch level's offset), 0 where that falls outside the input.
 */
export interface ConvGather {
  channels: number;
  /** Input height and width. */
  in: [number, number];
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** Leading (top, left) padding; trailing padding is implied by the output size. */
  pads: [number, number];
  /** Output width (n = oh·outWidth + ow). */
  outWidth: number;
}

export type Activation =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'clip'; min: number; max: number }
  | { kind: 'leaky_relu'; alpha: number };

export type Kernel = LoopKernel | GemmKernel;

export const affine = (c: number, ...terms: [string, number][]): Affine => ({
  terms: terms.filter(([, k]) => k !== 0).map(([v, k]) => ({ v, c: k })),
  c,
});

export function coefOf(a: Affine, v: string): number {
  return a.terms.find((t) => t.v === v)?.c ?? 0;
}

/** Loads of an expression, for analyses such as vectorisation legality. */
export function exprLoads(e: Expr, out: { buf: string; at: Affine }[] = []): { buf: string; at: Affine }[] {
  switch (e.k) {
    case 'load':
      out.push(e);
      e.at.dyn?.forEach((d) => exprLoads(d.e, out));
      break;
    case 'cast':
    case 'un':
      exprLoads(e.a, out);
      break;
    case 'bin':
      exprLoads(e.a, out);
      exprLoads(e.b, out);
      break;
    case 'select':
      [e.a, e.b, e.t, e.f].forEach((x) => exprLoads(x, out));
      break;
    default:
      break;
  }
  return out;
}
