import { KilnError } from '../../runtime/errors.js';

/**
 * A tensor the memory planner places in the arena. Steps are the kernels in execution order;
 * `firstStep` is the step that writes it, `lastStep` the last step that reads it.
 */
export interface PlanTensor {
  id: string;
  bytes: number;
  firstStep: number;
  lastStep: number;
  kind: 'input' | 'output' | 'intermediate';
  /** Byte alignment this tensor needs, a power of two; offsets honour both this and the plan's (16). */
  alignment?: number;
}

/** An elementwise kernel may write `output` over `input` at the step where `input` dies. */
export interface InPlaceHint {
  output: string;
  input: string;
}

/** 16 bytes: one 128-bit SIMD vector (WASM SIMD, NEON, SSE). */
export const DEFAULT_ALIGNMENT = 16;

/** Inclusive step range during which a tensor's bytes must stay intact. */
export interface LiveRange {
  first: number;
  last: number;
}

/**
 * Model inputs are written by the caller before step 0 and model outputs are read after the last
 * step, so both are kept live beyond the steps that touch them.
 */
export function liveRange(t: PlanTensor, stepCount: number): LiveRange {
  return {
    first: t.kind === 'input' ? 0 : t.firstStep,
    last: t.kind === 'output' ? stepCount - 1 : t.lastStep,
  };
}

export function rangesOverlap(a: LiveRange, b: LiveRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Throws a KilnError naming the tensor and field for anything the planner cannot place. */
export function validatePlanTensors(
  tensors: readonly PlanTensor[],
  stepCount: number,
  alignment: number,
): void {
  const where = 'memory plan';
  if (!Number.isSafeInteger(stepCount) || stepCount < 1) {
    throw new KilnError(`${where}: step count ${stepCount} is not a positive integer`);
  }
  if (!isPowerOfTwo(alignment)) {
    throw new KilnError(`${where}: alignment ${alignment} is not a power of two`);
  }
  const seen = new Set<string>();
  for (const t of tensors) {
    const name = `${where}: tensor '${t.id}'`;
    if (typeof t.id !== 'string' || t.id === '') throw new KilnError(`${where}: a tensor has an empty id`);
    if (seen.has(t.id)) throw new KilnError(`${name} is listed twice`, { expected: 'unique tensor ids' });
    seen.add(t.id);
    if (!Number.isSafeInteger(t.bytes) || t.bytes < 0) {
      throw new KilnError(`${name} has bytes ${t.bytes}`, { expected: 'a non-negative integer' });
    }
    if (!Number.isSafeInteger(t.firstStep) || !Number.isSafeInteger(t.lastStep)) {
      throw new KilnError(`${name} has non-integer steps ${t.firstStep}..${t.lastStep}`);
    }
    if (t.firstStep < 0 || t.firstStep > t.lastStep || t.lastStep >= stepCount) {
      throw new KilnError(`${name} has steps ${t.firstStep}..${t.lastStep}`, {
        expected: `0 <= firstStep <= lastStep < ${stepCount}`,
      });
    }
    if (t.kind !== 'input' && t.kind !== 'output' && t.kind !== 'intermediate') {
      throw new KilnError(`${name} has kind '${String(t.kind)}'`, {
        expected: "'input', 'output' or 'intermediate'",
      });
    }
    if (t.alignment !== undefined && !isPowerOfTwo(t.alignment)) {
      throw new KilnError(`${name} has alignment ${t.alignment}`, { expected: 'a power of two' });
    }
  }
}
