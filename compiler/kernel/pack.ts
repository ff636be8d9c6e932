/**
 * Weight layouts prepared at compile time, so kernels read weights contiguously at run time.
 * GEMM: B (K×N) is cut into panels of `nr` columns; panel p holds rows k = 0..K-1, each `nr` floats
 * (columns p*nr .. p*nr+nr-1, zero past N). The micro-kernel then streams one panel linearly.
 */
export function packGemmB(
  b: Float32Array,
  k: number,
  n: number,
  nr: number,
  transposed = false,
): Float32Array {
  const panels = Math.ceil(n / nr);
  const out = new Float32Array(panels * k * nr);
  for (let p = 0; p < panels; p++) {
    for (let kk = 0; kk < k; kk++) {
      for (let c = 0; c < nr; c++) {
        const col = p * nr + c;
        if (col >= n) continue;
        out[(p * k + kk) * nr + c] = transposed ? b[col * k + kk]! : b[kk * n + col]!;
      }
    }
  }
  return out;
}

/** A bias vector padded with zeros to whole panels of `nr`. */
export function padBias(bias: Float32Array | undefined, n: number, nr: number): Float32Array {
  const out = new Float32Array(Math.ceil(n / nr) * nr);
  if (bias) out.set(bias.subarray(0, n));
  return out;
}
