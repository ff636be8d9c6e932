import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { printModel } from '../compiler/ir/print.js';
import { loadModel } from '../compiler/onnx/import.js';
import { DEFAULT_PIPELINE } from '../compiler/passes/index.js';
import { type BoundInput, formatBoundValues } from '../runtime/bound-inputs.js';
import { KilnError } from '../runtime/errors.js';
import { saveArtifactFile } from '../runtime/artifact/node-fs.js';
import type { WasmCompileOptions } from '../targets/wasm/compile.js';
import { formatBytes } from './inspect.js';
import { parseBindings } from './bind-spec.js';
import { parseThreads } from './run.js';
import { parseSignatures } from './signature-spec.js';
import { VERSION } from './version.js';

interface CompileOpts {
  target: string;
  output?: string;
  dumpIr?: boolean;
  passes?: string;
  optimize: boolean;
  selfTest: boolean;
  threads?: string;
  bind: string[];
  signature: string[];
  precision: 'fp32' | 'fp16';
}

export function compileCommand(): Command {
  return new Command('compile')
    .description(
      'compile an ONNX model into a .kiln artifact for a target (nothing is written if compilation fails)',
    )
    .argument('<model>', 'an ONNX model file (static shapes)')
    .addOption(new Option('--target <name>', 'target').choices(['wasm', 'webgpu']).default('wasm'))
    .option('-o, --output <file>', 'artifact path (default: <model name>.kiln)')
    .addOption(
      new Option(
        '--precision <p>',
        'webgpu: fp16 stores activations and weights as f16 and computes elementwise math in f16, accumulating in f32 (needs the adapter feature shader-f16; inputs and outputs keep their dtypes)',
      )
        .choices(['fp32', 'fp16'])
        .default('fp32'),
    )
    .option('--dump-ir', 'print the graph IR after import and after each pass')
    .option(
      '--passes <list>',
      `comma-separated graph passes (default: ${DEFAULT_PIPELINE.join(',')}; '' for none)`,
    )
    .option('--no-optimize', "skip binaryen's optimiser")
    .option(
      '--no-self-test',
      "store no self-test sample (seeded inputs with the reference executor's outputs; for models whose reference run is too slow)",
    )
    .option(
      '--threads <n>',
      'also build the threaded module variants (shared memory, WebAssembly threads); N is the default thread count at run time',
    )
    .option(
      '--bind <name=file>',
      "freeze graph input NAME to the value in FILE (.npy) at compile time, so shapes it decides (Reshape's shape, Slice's starts, Resize's sizes, ...) become static; the input stays an input, and a run fed any other value is refused (repeatable)",
      (spec: string, prev: string[]) => [...prev, spec],
      [] as string[],
    )
    .option(
      '--signature <name=spec>',
      "compile sequence or optional input NAME for one structure: SPEC '[float32[3],float32[5]]' (a sequence of that length and element dims), 'optional(float32[4])', 'optional()' (absent); 'float32[1,3]' fixes a tensor input's symbolic dims. Values stay run-time feeds; a feed of another structure is refused (repeatable)",
      (spec: string, prev: string[]) => [...prev, spec],
      [] as string[],
    )
    .action(async (file: string, opts: CompileOpts) => {
      if (opts.precision === 'fp16' && opts.target !== 'webgpu')
        throw new KilnError(`--precision fp16 is not available for the ${opts.target} target`, {
          expected: '--target webgpu with --precision fp16 (the wasm target computes in fp32)',
        });
      const bind = parseBindings(opts.bind);
      const signatures = parseSignatures(opts.signature);
      const threads = opts.threads === undefined ? undefined : parseThreads(opts.threads);
      const out = opts.output ?? basename(file).replace(/\.onnx$/i, '') + '.kiln';
      const t0 = performance.now();
      const step = (msg: string) =>
        process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
      step(`importing ${file}`);
      let sourceBytes: Uint8Array;
      try {
        sourceBytes = readFileSync(file);
      } catch (err) {
        throw new KilnError(`cannot read model: ${(err as Error).message}`, { file });
      }
      const model = loadModel(file);
      if (opts.dumpIr) console.log(`== imported\n${printModel(model)}`);
      const passes = opts.passes === undefined ? undefined : opts.passes.split(',').filter(Boolean);
      if (opts.selfTest) step('computing the self-test sample on the reference executor');
      step('optimising the graph and lowering to kernels');
      const onPass: WasmCompileOptions['onPass'] = (name, m, r) => {
        if (opts.dumpIr)
          console.log(
            `== after ${name} (${r.changed} change${r.changed === 1 ? '' : 's'})\n${printModel(m)}`,
          );
      };
      // the target's compiler (binaryen for wasm) loads only now: `kiln --help` and the other
      // commands (the device agent among them) never pay for it
      if (opts.target === 'webgpu') {
        const { compileWebGpu, webGpuArtifact } = await import('../targets/webgpu/compile.js');
        const result = compileWebGpu(model, {
          passes,
          onPass,
          selfTest: opts.selfTest,
          bind,
          signatures,
          precision: opts.precision,
        });
        step(`rendered ${result.layout.dispatches.length} WGSL dispatches; packaging`);
        const bytes = await webGpuArtifact(result, {
          sourceBytes,
          sourceName: basename(file),
          kilnVersion: VERSION,
          passes,
        });
        await saveArtifactFile(out, bytes);
        step(`wrote ${out}`);
        console.log(
          [
            `${out}: ${formatBytes(bytes.length)}`,
            `  ${result.shaders.size} WGSL shaders for ${result.layout.dispatches.length} dispatches (${result.precision})`,
            `  weights.bin ${formatBytes(result.weights.length)}`,
            ...(result.halfWeights ? [`  weights-f16.bin ${formatBytes(result.halfWeights.length)}`] : []),
            `  arena ${formatBytes(result.arena.bytes)} (naive ${formatBytes(result.arena.naiveBytes)})`,
            `  kernels ${result.lowered.kernels.length}, compiled in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
            ...boundLines(result.bound),
          ].join('\n'),
        );
        return;
      }
      const { compileWasm, wasmArtifact } = await import('../targets/wasm/compile.js');
      const result = compileWasm(model, {
        passes,
        optimize: opts.optimize,
        threads,
        onPass,
        selfTest: opts.selfTest,
        bind,
        signatures,
      });
      step(`rendered ${result.lowered.kernels.length} kernels; packaging`);
      const bytes = await wasmArtifact(result, {
        sourceBytes,
        sourceName: basename(file),
        kilnVersion: VERSION,
        passes,
        optimize: opts.optimize,
      });
      await saveArtifactFile(out, bytes);
      step(`wrote ${out}`);
      console.log(
        [
          `${out}: ${formatBytes(bytes.length)}`,
          `  model.wasm ${formatBytes(result.modules.simd.length)} (relaxed-SIMD variant ${formatBytes(result.modules.relaxed.length)})`,
          ...(result.modules.threads
            ? [
                `  model.threads.wasm ${formatBytes(result.modules.threads.simd.length)} (relaxed-SIMD variant ${formatBytes(result.modules.threads.relaxed.length)}), default ${result.threads} threads`,
              ]
            : []),
          `  weights.bin ${formatBytes(result.weights.length)}`,
          `  arena ${formatBytes(result.arena.bytes)} (naive ${formatBytes(result.arena.naiveBytes)})`,
          `  kernels ${result.lowered.kernels.length}, compiled in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
          ...boundLines(result.bound),
        ].join('\n'),
      );
    });
}

function boundLines(bound: readonly BoundInput[]): string[] {
  return bound.map((b) => `  bound input '${b.name}' = ${b.dtype} ${formatBoundValues(b.values, b.shape)}`);
}
