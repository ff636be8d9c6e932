/** The JSON shape `kiln bench --json` and `npm run bench` write (one entry per model). */
export interface EngineResult {
  name: string;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  /** Per-round wall times, ms, in round order. */
  samplesMs: number[];
  /** Session creation (for Kiln: artifact check, module compile, instantiation) plus the first run. */
  firstRunMs: number;
  loadMs: number;
  /** Process memory growth while this engine loaded and ran once (MB; see bench/memory.ts). */
  loadMemoryMB: { rss: number; heapUsed: number; external: number };
  /** Kiln engines: output vs onnxruntime-node within tolerance (undefined: not checked). */
  matches?: boolean;
  mismatch?: string;
}

export interface ModelResult {
  model: string;
  /** Kiln's target (absent in results written before the webgpu bench: wasm). */
  target?: 'wasm' | 'webgpu';
  file: string;
  /** True when the graph has a Conv (the CNNs the geometric mean is taken over). */
  cnn: boolean;
  inputs: string;
  compile: {
    seconds: number;
    /** wasm target: the two module variants. */
    wasmBytes?: { simd: number; relaxed: number };
    /** webgpu target: WGSL shaders and dispatches per run. */
    shaders?: number;
    dispatches?: number;
    arenaBytes: number;
    naiveArenaBytes: number;
    /** Memory the model needs (arena + weights): wasm linear memory, or the two GPU storage buffers. */
    memoryBytes: number;
  };
  threads: number;
  warmup: number;
  runs: number;
  engines: EngineResult[];
  /** The Kiln engine the speedups are stated for (relaxed when the engine has relaxed SIMD). */
  kiln: string;
  /** Median over rounds of (baseline ms / Kiln ms), per baseline. */
  speedup: Record<string, number>;
  verified: boolean;
  peakRssMB: number;
}

export interface SkippedModel {
  model: string;
  file: string;
  reason: string;
}

export interface BenchReport {
  date: string;
  target?: 'wasm' | 'webgpu';
  /** webgpu: the adapter the engines ran on (vendor, architecture, description). */
  adapter?: string;
  machine: { cpus: string; cores: number; loadAverage: number[]; node: string; v8Flags: string[] };
  memoryNote: string;
  ortWebStartMs?: number;
  /** onnxruntime-web's WebGPU EP start (once per process), when it is a baseline. */
  ortWebGpuStartMs?: number;
  models: ModelResult[];
  skipped: SkippedModel[];
  /** Geometric mean over the CNNs of Kiln's speedup over each baseline. */
  geomeanSpeedup: Record<string, number>;
  /** The models each geometric mean is over (with a Conv, output matched). */
  geomeanModels?: Record<string, string[]>;
}
