/**
 * Where a compiled model spends its time, kernel by kernel: the model is compiled for the WASM target
 * with every kernel exported (`exportKernels`), the module is run once whole (warm-up), then each
 * kernel is called and timed on its own, in order, for several rounds. Prints the kernels by median
 * time with their share of the whole, and GFLOP/s for the GEMMs; `--json FILE` writes every row.
 * Usage: npx tsx bench/profile.ts MODEL.onnx [--runs 10] [--variant relaxed|simd] [--top 25] [--json FILE]
 *        [--shape NAME=1x3x224x224 ...]   (corpus models with symbolic dims get the corpus's shapes)
 * (re-runs itself with --no-liftoff --experimental-wasm-relaxed-simd, as `kiln bench` does)
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadavg } from 'node:os';
import type { Kernel } from '../compiler/kernel/ir.js';
import { loadModel } from '../compiler/onnx/import.js';
import { WasmInstance } from '../runtime/wasm/instance.js';
import { compileWasm } from '../targets/wasm/compile.js';
import { isParallel } from '../targets/wasm/threads.js';
import { respawnWithBenchFlags } from './flags.js';
import { corpusModels } from './corpus.js';
import { benchInputs } from './inputs.js';
import { type InputShapes, bindInputShapes, parseInputShapes } from './shapes.js';
import { median } from './stats.js';

export interface KernelProfile {
  index: number;
  name: string;
  nodes: string[];
  ms: number;
  /** GEMM kernels: 2·m·n·k per batch item over the median time. */
  gflops?: number;
  /** Whether `--threads N` splits this kernel across threads (otherwise thread 0 runs it alone). */
  parallel: boolean;
}

/** FLOPs of a GEMM kernel (multiply-adds count two), 0 for loop kernels. */
export function kernelFlops(k: Kernel): number {
  if (k.kind !== 'gemm') return 0;
  const items = (k.batch ?? []).reduce((n, l) => n * l.count, 1);
  return 2 * k.m * k.n * k.k * items;
}

export function profileModel(
  file: string,
  opts: { runs: number; variant: 'relaxed' | 'simd'; shapes?: InputShapes },
): { total: number; kernels: KernelProfile[] } {
  const model = loadModel(file);
  bindInputShapes(model, opts.shapes ?? {});
  const { feeds } = benchInputs(file, model.graph.inputs);
  const compiled = compileWasm(model, { exportKernels: true, selfTest: false });
  const code = compiled.modules[opts.variant];
  const memory = WasmInstance.memory(compiled.layout, compiled.weights);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(code), { env: { memory } });
  const io = new WasmInstance(instance, memory, compiled.layout, file);
  io.run(feeds); // warm-up, and the inputs stay in memory for the kernel-by-kernel rounds
  const fns = compiled.lowered.kernels.map((_, i) => instance.exports[`kernel${i}`] as () => void);
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < opts.runs; r++) {
    fns.forEach((fn, i) => {
      const t = performance.now();
      fn();
      samples[i]!.push(performance.now() - t);
    });
  }
  const kernels = compiled.lowered.kernels.map((k, i): KernelProfile => {
    const ms = median(samples[i]!);
    const flops = kernelFlops(k);
    return {
      index: i,
      name: k.name,
      nodes: k.nodes,
      ms,
      parallel: isParallel(k),
      ...(flops > 0 ? { gflops: flops / ms / 1e6 } : {}),
    };
  });
  return { total: kernels.reduce((s, k) => s + k.ms, 0), kernels };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : d);
  const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!file) {
    console.error(
      'usage: npx tsx bench/profile.ts MODEL.onnx [--runs 10] [--variant relaxed|simd] [--top 25] [--json FILE]',
    );
    process.exit(2);
  }
  const variant = arg('--variant', 'relaxed') as 'relaxed' | 'simd';
  const given = parseInputShapes(args.filter((_, i) => args[i - 1] === '--shape'));
  const corpus = corpusModels().find((c) => resolve(c.file) === resolve(file))?.shapes ?? {};
  const shapes = Object.keys(given).length > 0 ? given : corpus;
  const { total, kernels } = profileModel(file, { runs: Number(arg('--runs', '10')), variant, shapes });
  const top = Number(arg('--top', '25'));
  console.log(
    `${file}: ${kernels.length} kernels, ${total.toFixed(2)} ms (sum of per-kernel medians, ${variant})`,
  );
  const serial = kernels.filter((k) => !k.parallel).reduce((s, k) => s + k.ms, 0);
  console.log(
    `serial kernels (thread 0 alone under --threads): ${kernels.filter((k) => !k.parallel).length}, ${serial.toFixed(2)} ms (${((100 * serial) / total).toFixed(1)} %)`,
  );
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  // per kernel kind
  const byName = new Map<string, { ms: number; count: number; flops: number }>();
  for (const k of kernels) {
    const e = byName.get(k.name) ?? { ms: 0, count: 0, flops: 0 };
    e.ms += k.ms;
    e.count++;
    e.flops += (k.gflops ?? 0) * k.ms * 1e6;
    byName.set(k.name, e);
  }
  console.log('kernel kind                 count      ms      %   GFLOP/s');
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    const g = e.flops > 0 ? (e.flops / e.ms / 1e6).toFixed(1) : '';
    console.log(
      `${name.padEnd(26)} ${String(e.count).padStart(6)} ${e.ms.toFixed(2).padStart(7)} ${((100 * e.ms) / total).toFixed(1).padStart(6)} ${g.padStart(9)}`,
    );
  }
  console.log(`\ntop ${top} kernels`);
  console.log('  #  kernel                         ms      %   GFLOP/s  par  nodes');
  for (const k of [...kernels].sort((a, b) => b.ms - a.ms).slice(0, top)) {
    console.log(
      `${String(k.index).padStart(3)}  ${k.name.padEnd(26)} ${k.ms.toFixed(3).padStart(7)} ${((100 * k.ms) / total).toFixed(1).padStart(6)} ${(k.gflops?.toFixed(1) ?? '').padStart(9)}  ${k.parallel ? 'yes' : ' no'}  ${k.nodes.join(',')}`,
    );
  }
  const json = args.includes('--json') ? arg('--json', '') : '';
  if (json) writeFileSync(json, JSON.stringify({ file, variant, total, kernels }, null, 2));
}

const code = await respawnWithBenchFlags();
if (code === undefined) await main();
else process.exitCode = code;
