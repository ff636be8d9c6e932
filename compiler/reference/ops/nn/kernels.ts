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
  for (let i = 0; i < M; i++) {
    const o = oOff + i * N;
    const ai = aOff + i * aRow;
    for (let k = 0; k < K; k++) {
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
