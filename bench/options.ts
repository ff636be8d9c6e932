import { KilnError } from '../runtime/errors.js';
import { parseBindings } from '../cli/bind-spec.js';
import type { Tensor } from '../runtime/tensor.js';
import { type InputShapes, parseInputShapes } from './shapes.js';

/** The engines Kiln can be timed against. */
export const BASELINES = ['ort-web', 'ort-node', 'ort-web-webgpu'] as const;
export type Baseline = (typeof BASELINES)[number];

export const TARGETS = ['wasm', 'webgpu'] as const;
export type BenchTarget = (typeof TARGETS)[number];

/** Baselines when --against is not given: the peers of each target. */
export const DEFAULT_BASELINES: Record<BenchTarget, Baseline[]> = {
  wasm: ['ort-web', 'ort-node'],
  webgpu: ['ort-web-webgpu'],
};

export interface BenchOptions {
  target: BenchTarget;
  against: Baseline[];
  /** Timed rounds (each round runs every engine once). */
  runs: number;
  /** Untimed rounds before timing. */
  warmup: number;
  /** Threads for every engine (Kiln compiles its threaded variants for more than one). */
  threads: number;
  json?: string;
  /** Static shapes for inputs with symbolic dims (`--shape NAME=DxD…`). */
  shapes: InputShapes;
  /** Inputs frozen at compile time (`--bind NAME=FILE.npy`); every engine is fed these values. */
  bind: Map<string, Tensor>;
  /**
   * Time budget for the timed rounds of one model (ms): fewer rounds than `runs` (but at least
   * MIN_BUDGET_RUNS) when the warm-up rounds say `runs` would not fit. Unset: always `runs`.
   */
  budgetMs?: number;
}

export const MIN_BUDGET_RUNS = 5;

/** Raw strings as the command line gives them. */
export interface RawBenchOptions {
  target?: string;
  against?: string | string[];
  runs?: string;
  warmup?: string;
  threads?: string;
  json?: string;
  shape?: string[];
  bind?: string[];
}

export const DEFAULT_RUNS = 20;
export const DEFAULT_WARMUP = 5;

/** Validate command-line values; every bad value is a KilnError that says what was expected. */
export function parseBenchOptions(raw: RawBenchOptions): BenchOptions {
  const target = (raw.target ?? 'wasm') as BenchTarget;
  if (!TARGETS.includes(target))
    throw new KilnError(`unknown --target '${target}'`, { expected: TARGETS.join(', ') });
  const list = (
    Array.isArray(raw.against) ? raw.against : [raw.against ?? DEFAULT_BASELINES[target].join(',')]
  )
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const against: Baseline[] = [];
  for (const name of list) {
    if (!(BASELINES as readonly string[]).includes(name)) {
      throw new KilnError(`unknown --against engine '${name}'`, { expected: BASELINES.join(', ') });
    }
    if (!against.includes(name as Baseline)) against.push(name as Baseline);
  }
  const threads = int('--threads', raw.threads, 1, 1);
  if (target === 'webgpu' && threads > 1)
    throw new KilnError(`--threads ${threads} with --target webgpu`, {
      expected: '--threads 1 (the webgpu target runs on the GPU; onnxruntime-web runs one thread in Node)',
    });
  return {
    target,
    against,
    runs: int('--runs', raw.runs, DEFAULT_RUNS, 1),
    warmup: int('--warmup', raw.warmup, DEFAULT_WARMUP, 0),
    threads,
    json: raw.json,
    shapes: parseInputShapes(raw.shape ?? []),
    bind: parseBindings(raw.bind ?? []),
  };
}

function int(flag: string, value: string | undefined, dflt: number, min: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new KilnError(`bad ${flag} '${value}'`, { expected: `an integer >= ${min}` });
  }
  return n;
}
