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

/**
 * GEMM A (M×K row-major, e.g. conv weights [OC, IC·KH·KW]) cut into tiles of `mr` rows; tile t holds,
 * for each k, the `mr` floats A[t*mr .. t*mr+mr-1, k] (zero past M), so the micro-kernel reads A as one
 * linear stream. With `groups` > 1, A is `groups` stacked M×K blocks, each packed on its own; a group's
 * packed block is `packedRows(m, mr) * k` floats.
 */
export function packGemmA(a: Float32Array, m: number, k: number, mr: number, groups = 1): Float32Array {
  const rows = packedRows(m, mr);
  const out = new Float32Array(groups * rows * k);
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < m; i++) {
      const t = Math.floor(i / mr);
      const r = i % mr;
      const src = (g * m + i) * k;
      const dst = g * rows * k + t * mr * k + r;
      for (let kk = 0; kk < k; kk++) out[dst + kk * mr] = a[src + kk]!;
    }
  }
  return out;
}

/** Rows of a packed A: M rounded up to whole tiles of `mr`. */
export const packedRows = (m: number, mr: number): number => Math.ceil(m / mr) * mr;
