import type { Kernel, Stmt } from './ir.js';
import { exprLoads } from './ir.js';

/** Buffers a kernel reads and writes (for liveness and the memory plan). */
export function kernelUses(k: Kernel): { reads: Set<string>; writes: Set<string> } {
  const reads = new Set<string>();
  const writes = new Set<string>();
  if (k.kind === 'gemm') {
    reads.add(k.a).add(k.b);
    if (k.bias) reads.add(k.bias);
    writes.add(k.c);
    return { reads, writes };
  }
  const walk = (body: Stmt[]) => {
    for (const s of body) {
      if (s.k === 'loop') walk(s.body);
      else if (s.k === 'store') {
        writes.add(s.buf);
        exprLoads(s.value).forEach((l) => reads.add(l.buf));
      } else exprLoads(s.value).forEach((l) => reads.add(l.buf));
    }
  };
  walk(k.body);
  return { reads, writes };
}
