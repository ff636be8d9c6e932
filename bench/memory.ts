/**
 * What the benchmark measures as memory, in one process: `process.memoryUsage()` after a full GC when
 * the process runs with --expose-gc (rss = resident set; external + arrayBuffers hold WebAssembly
 * memories and tensors; heapUsed is the JS heap), and the process's peak resident set
 * (`process.resourceUsage().maxRSS`). Node has no `performance.measureUserAgentSpecificMemory`.
 */
export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  external: number;
}

const MB = 1024 * 1024;

export function memorySnapshot(): MemorySnapshot {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

/**
 * Collect garbage and give the allocator a moment to return freed pages, so the next snapshot does not
 * charge an engine for (or credit it with) the compiler's garbage.
 */
export async function settleMemory(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc();
}

/** Growth from `before` to `after`, in MB. */
export function memoryDeltaMB(before: MemorySnapshot, after: MemorySnapshot): MemorySnapshot {
  return {
    rss: (after.rss - before.rss) / MB,
    heapUsed: (after.heapUsed - before.heapUsed) / MB,
    external: (after.external - before.external) / MB,
  };
}

/** The process's peak resident set so far, in MB. */
export function peakRssMB(): number {
  return (process.resourceUsage().maxRSS * 1024) / MB;
}

export const gcExposed = (): boolean => typeof (globalThis as { gc?: unknown }).gc === 'function';
