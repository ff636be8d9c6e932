/**
 * Row reductions on the webgpu target: one thread per row (the loop-kernel path) against a workgroup
 * per row (targets/webgpu/row-reduce.ts) as a tree in workgroup memory and with subgroup operations.
 * For ReduceMean, Softmax and LayerNormalization over the last axis of a rows×n float32 input, with
 * GPU-resident input and output, timed to `queue.onSubmittedWorkDone()` (median and best of --runs). The
 * numbers chose ROW_REDUCE_BOUNDS (docs/webgpu-target.md).
 *   npx tsx bench/webgpu-row-reduce.ts [--rows 128] [--n 64,256,1024,4096] [--ops ReduceMean,Softmax] [--runs 10]
 *   npx tsx bench/webgpu-row-reduce.ts --model a.onnx [--model b.onnx] [--runs 10]   (whole models, per variant)
 */
import { parseArgs } from 'node:util';
import { randomTensor, seededRandom } from '../runtime/prng.js';
import { GpuTensor } from '../runtime/gpu-tensor.js';
import { BufferUsage } from '../runtime/webgpu/flags.js';
import { nodeWebGpu } from '../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../runtime/webgpu/session.js';
import { compileWebGpu, webGpuArtifact } from '../targets/webgpu/compile.js';
import { loadModel } from '../compiler/onnx/import.js';
import { ROW_REDUCE_BOUNDS, type RowReduceBounds } from '../targets/webgpu/row-reduce.js';
import { benchInputs } from './inputs.js';
import { median } from './stats.js';
import { oneNodeModel } from './tiny-model.js';

export type RowVariant = 'thread' | 'tree' | 'subgroups';

function model(op: string, rows: number, n: number) {
  const rng = seededRandom(2);
  const m = oneNodeModel({
    op,
    inputs: { x: [rows, n] },
    outputs: { y: op === 'ReduceMean' ? [rows, 1] : [rows, n] },
    initializers:
      op === 'LayerNormalization'
        ? { scale: randomTensor('float32', [n], rng), bias: randomTensor('float32', [n], rng) }
        : {},
  });
  if (op === 'ReduceMean') m.graph.nodes[0]!.attrs = { axes: { type: 'ints', value: [1] } };
  return m;
}

/** Median milliseconds of one run of `op` over rows×n, per variant. */
export async function timeRowReduce(
  op: string,
  rows: number,
  n: number,
  runs: number,
): Promise<Record<RowVariant, { median: number; best: number }>> {
  const adapter = await (await nodeWebGpu()).requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [],
  });
  const input = device.createBuffer({
    size: rows * n * 4,
    usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(
    input,
    0,
    randomTensor('float32', [rows, n], seededRandom(3)).data as Float32Array,
  );
  const feeds = { x: new GpuTensor('float32', [rows, n], input) };
  const out: Partial<Record<RowVariant, { median: number; best: number }>> = {};
  try {
    for (const variant of ['thread', 'tree', 'subgroups'] as const) {
      const compiled = compileWebGpu(model(op, rows, n), {
        selfTest: false,
        rowReduce:
          variant === 'thread' ? { minLength: Infinity, maxRows: 0 } : { minLength: 1, maxRows: Infinity },
      });
      const session = await WebGpuSession.create(await webGpuArtifact(compiled), {
        device,
        preferredOutputLocation: 'gpu-buffer',
        subgroups: variant === 'subgroups',
      });
      const once = async () => {
        const t0 = performance.now();
        const y = (await session.runWithGpuOutputs(feeds)).y as GpuTensor;
        await device.queue.onSubmittedWorkDone();
        const ms = performance.now() - t0;
        y.dispose!();
        return ms;
      };
      await once(); // the first run compiles nothing more on Dawn, but warms lavapipe's caches
      const times: number[] = [];
      for (let r = 0; r < runs; r++) times.push(await once());
      out[variant] = { median: median(times), best: Math.min(...times) };
      session.release();
    }
  } finally {
    input.destroy();
    device.destroy();
  }
  return out as Record<RowVariant, { median: number; best: number }>;
}

/** The row-reduction choices of a whole model, as compile bounds and the runtime's subgroups switch. */
const MODEL_VARIANTS: { name: string; rowReduce: RowReduceBounds; subgroups: boolean }[] = [
  { name: 'one thread per row', rowReduce: { minLength: Infinity, maxRows: 0 }, subgroups: false },
  { name: 'default bounds', rowReduce: ROW_REDUCE_BOUNDS, subgroups: true },
  { name: 'every row phase, tree', rowReduce: { minLength: 1, maxRows: Infinity }, subgroups: false },
  { name: 'every row phase, subgroups', rowReduce: { minLength: 1, maxRows: Infinity }, subgroups: true },
];

/**
 * A whole model (its test_data_set_0, or seeded inputs) per variant: median and best ms of a run that
 * uploads the inputs and reads the outputs back, and how many dispatches run a workgroup per row.
 */
export async function timeModel(file: string, runs: number): Promise<string[]> {
  const lines: string[] = [];
  for (const v of MODEL_VARIANTS) {
    const model = loadModel(file);
    const { feeds } = benchInputs(file, model.graph.inputs);
    const compiled = compileWebGpu(model, { selfTest: false, rowReduce: v.rowReduce });
    const session = await WebGpuSession.create(await webGpuArtifact(compiled), { subgroups: v.subgroups });
    await session.run(feeds); // lavapipe compiles each pipeline on its first dispatch
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    session.release();
    const rows = compiled.layout.dispatches.filter((d) => d.subgroupShader).length;
    lines.push(
      `| ${file.replace(/^.*[\\/]/, '')} | ${v.name} | ${rows} of ${compiled.layout.dispatches.length} | ${median(times).toFixed(2)} (${Math.min(...times).toFixed(2)}) |`,
    );
  }
  return lines;
}

if (process.argv[1]?.replace(/\.[jt]s$/, '').endsWith('webgpu-row-reduce')) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', multiple: true },
      rows: { type: 'string', default: '128' },
      n: { type: 'string', default: '64,128,256,512,1024,4096' },
      ops: { type: 'string', default: 'ReduceMean,Softmax,LayerNormalization' },
      runs: { type: 'string', default: '10' },
    },
  });
  // the median and, in brackets, the best run: on a shared machine the best is the steadier figure
  if (values.model?.length) {
    console.log('| model | row reductions | dispatches with a workgroup per row | ms per run (best) |');
    console.log('| --- | --- | --- | --- |');
    for (const file of values.model)
      for (const line of await timeModel(file, Number(values.runs))) console.log(line);
    process.exit(0);
  }
  console.log('| op | rows × n | one thread per row (ms) | workgroup tree (ms) | subgroups (ms) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const op of values.ops.split(','))
    for (const n of values.n.split(',').map(Number)) {
      const rows = Number(values.rows);
      const t = await timeRowReduce(op, rows, n, Number(values.runs));
      console.log(
        `| ${op} | ${rows} × ${n} | ${[t.thread, t.tree, t.subgroups].map((v) => `${v.median.toFixed(2)} (${v.best.toFixed(2)})`).join(' | ')} |`,
      );
    }
  process.exit(0);
}
