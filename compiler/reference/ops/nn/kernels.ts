/**
 * Dense kernels shared by MatMul, Gemm, Conv and the quantized variants. Everything accumulates in
 * float64 (JS numbers); loops run over typed arrays with no per-element allocation.
 */

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
  for (let i = 0; i < M; i++) {
    const o = oOff + i * N;
    const ai = aOff + i * aRow;
    // Four rows of `b` per pass quarter the loads/stores of `out`, the bottleneck of this loop.
    for (let k = 0; k < K4; k += 4) {
      const a0 = a[ai + k * aCol]!;
      const a1 = a[ai + (k + 1) * aCol]!;
      const a2 = a[ai + (k + 2) * aCol]!;
      const a3 = a[ai + (k + 3) * aCol]!;
      const b0 = bOff + k * N;
      const b1 = b0 + N;
      const b2 = b1 + N;
      const b3 = b2 + N;
      for (let j = 0; j < N; j++)
        out[o + j] += a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!;
    }
    for (let k = K4; k < K; k++) {
      const av = a[ai + k * aCol]!;
      const bk = bOff + k * N;
      for (let j = 0; j < N; j++) out[o + j] += av * b[bk + j]!;
    }
  }
}

/** Transpose a rows×cols row-major block into a new array (cols×rows). */
export function transpose2d(src: Float64Array, off: number, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[off + r * cols + c]!;
  return out;
}
