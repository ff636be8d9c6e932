import { Command } from 'commander';
import { benchV8Flags, respawnWithBenchFlags } from '../bench/flags.js';
import { DEFAULT_RUNS, DEFAULT_WARMUP, type RawBenchOptions, parseBenchOptions } from '../bench/options.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function benchCommand(): Command {
  return new Command('bench')
    .description(
      "compile a model with Kiln and time it against onnxruntime-web (wasm), onnxruntime-node or onnxruntime-web's WebGPU EP, interleaved, in one process",
    )
    .argument('<model>', 'an ONNX model file')
    .option('--target <name>', 'Kiln target: wasm or webgpu (Dawn in Node; lavapipe without a GPU)', 'wasm')
    .option(
      '--against <engines>',
      'baselines, comma-separated: ort-web, ort-node, ort-web-webgpu (default: ort-web,ort-node for wasm, ort-web-webgpu for webgpu)',
    )
    .option('--runs <n>', 'timed rounds (each runs every engine once)', String(DEFAULT_RUNS))
    .option('--warmup <n>', 'untimed rounds first', String(DEFAULT_WARMUP))
    .option(
      '--threads <n>',
      "threads for every engine: Kiln's threaded module (also timed on one thread as kiln-<variant>-1thread), onnxruntime-web's numThreads, onnxruntime-node's intra-op threads",
      '1',
    )
    .option(
      '--shape <name=DxD...>',
      'static shape for an input with symbolic dims, e.g. x=1x3x48x192',
      collect,
      [],
    )
    .option(
      '--bind <name=file>',
      'freeze graph input NAME to the value in FILE (.npy) at compile time, as kiln compile --bind does; every engine is fed that value (repeatable)',
      collect,
      [],
    )
    .option('--json <file>', 'also write the results as JSON')
    .action(async (file: string, raw: RawBenchOptions) => {
      const opts = parseBenchOptions(raw); // bad values fail before any respawn
      const code = await respawnWithBenchFlags(benchV8Flags(opts.target));
      if (code !== undefined) {
        // the child printed everything; pass its failure on (main() would report success)
        if (code !== 0) process.exit(code);
        return;
      }
      const { benchOneModel } = await import('../bench/run-model.js'); // the compilers and engines
      await benchOneModel(file, opts);
    });
}
