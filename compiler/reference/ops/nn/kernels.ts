/**
 * Dense kernels shared by MatMul, Gemm, Conv and the quantized variants. Everything accumulates in
 * float64 (JS numbers); loops run over typed arrays with no per-element allocation.
 */

/** Columns per tile: 256 float64 columns × K rows of `b` fit in L2 for the K of typical convs. */
const TILE = 256;

/**
 * out[oOff + i*N + j] += sum_k a(i,k) * b(k,j) for an M×K by K×N product.
 * `a` is read as a[aOff + i*aRow + k*aCol] so transposed operands need no copy; `b` is row-major K×N.
 * i-k-j order keeps the inner loop a contiguous axpy over rows of `b` and `out`.
 */
export function gemmAcc(
  a: Float64Array,
  aOff: number,
  aRow: number,
  aCol: number,
  b: Float64Array,
  bOff: number,
  out: Float64Array,
  oOff: number,
  M: number,
  K: number,
  N: number,
): void {
  const K4 = K - (K % 4);
  const M2 = M - (M % 2);
  // Column tiles keep the K×tile block of `b` cache-resident while every row of `a` sweeps over it
  // (im2col matrices are many MB; streaming them once per output row was memory-bound).
  for (let j0 = 0; j0 < N; j0 += TILE) {
    const j1 = Math.min(N, j0 + TILE);
    // Two output rows × four k per pass: each load of `b` feeds two products, each `out` update four.
    for (let i = 0; i < M2; i += 2) {
      const o0 = oOff + i * N;
      const o1 = o0 + N;
      const ai0 = aOff + i * aRow;
      const ai1 = ai0 + aRow;
      for (let k = 0; k < K4; k += 4) {
        const c0 = k * aCol;
        const c1 = c0 + aCol;
        const c2 = c1 + aCol;
        const c3 = c2 + aCol;
        const x0 = a[ai0 + c0]!;
        const x1 = a[ai0 + c1]!;
        const x2 = a[ai0 + c2]!;
        const x3 = a[ai0 + c3]!;
        const y0 = a[ai1 + c0]!;
        const y1 = a[ai1 + c1]!;
        const y2 = a[ai1 + c2]!;
        const y3 = a[ai1 + c3]!;
        const b0 = bOff + k * N;
        const b1 = b0 + N;
        const b2 = b1 + N;
        const b3 = b2 + N;
        for (let j = j0; j < j1; j++) {
          const v0 = b[b0 + j]!;
          const v1 = b[b1 + j]!;
          const v2 = b[b2 + j]!;
          const v3 = b[b3 + j]!;
          out[o0 + j] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
          out[o1 + j] += y0 * v0 + y1 * v1 + y2 * v2 + y3 * v3;
        }
      }
      for (let k = K4; k < K; k++) {
        const x = a[ai0 + k * aCol]!;
        const y = a[ai1 + k * aCol]!;
        const bk = bOff + k * N;
        for (let j = j0; j < j1; j++) {
          const v = b[bk + j]!;
          out[o0 + j] += x * v;
          out[o1 + j] += y * v;
        }
      }
    }
    for (let i = M2; i < M; i++) {
      const o = oOff + i * N;
      const ai = aOff + i * aRow;
      for (let k = 0; k < K4; k += 4) {
        const a0 = a[ai + k * aCol]!;
        const a1 = a[ai + (k + 1) * aCol]!;
        const a2 = a[ai + (k + 2) * aCol]!;
        const a3 = a[ai + (k + 3) * aCol]!;
        const b0 = bOff + k * N;
        const b1 = b0 + N;
        const b2 = b1 + N;
        const b3 = b2 + N;
        for (let j = j0; j < j1; j++)
          out[o + j] += a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!;
      }
      for (let k = K4; k < K; k++) {
        const av = a[ai + k * aCol]!;
        const bk = bOff + k * N;
        for (let j = j0; j < j1; j++) out[o + j] += av * b[bk + j]!;
      }
    }
  }
}
