import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import binaryen from 'binaryen';
import { afterEach, describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { loadModel, readTensorProtoFile } from '../../../compiler/onnx/import.js';
import { ReferenceSession } from '../../../compiler/reference/session.js';
import { KilnError } from '../../../runtime/errors.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { SYNC, type WasmLayout, threadSpinLimit } from '../../../runtime/wasm/layout.js';
import { spawnNodeThread } from '../../../runtime/wasm/node-threads.js';
import { ThreadPool } from '../../../runtime/wasm/thread-pool.js';
import { WasmSession } from '../../../runtime/wasm/session.js';
import { WasmInstance } from '../../../runtime/wasm/instance.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { i64Const, isParallel } from '../../../targets/wasm/threads.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { TORCH_MODELS, hasTorchModels, skipNote } from '../../helpers/paths.js';
import { randomFloat32 } from '../../helpers/random.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

const TOL = { rtol: 1e-4, atol: 1e-5 };
const sessions: WasmSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.release();
});

async function open(bytes: Uint8Array, opts: Parameters<typeof WasmSession.create>[1]) {
  const s = await WasmSession.create(bytes, opts);
  sessions.push(s);
  return s;
}

/**
 * A small CNN covering the kernels that split across threads: 3×3 conv (pad + im2col + GEMM with a
 * narrow last column panel), pointwise conv, depthwise conv, max pool, residual add, global pool, Gemm.
 */
function smallCnn() {
  const w = (shape: number[], seed: number) => randomFloat32(shape, seed, -0.5, 0.5);
  return model(
    graph({
      inputs: [value('x', 'float32', [1, 3, 13, 11])],
      outputs: [value('y', 'float32', [1, 10])],
      nodes: [
        node(
          'Conv',
          ['x', 'w1', 'b1'],
          ['c1'],
          { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) },
          'conv1',
        ),
        node('Relu', ['c1'], ['r1'], {}, 'relu1'),
        node('MaxPool', ['r1'], ['p1'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, 'pool'),
        node('Conv', ['p1', 'w2'], ['c2'], { kernel_shape: ints([1, 1]) }, 'pointwise'),
        node(
          'Conv',
          ['c2', 'w3'],
          ['c3'],
          { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), group: int(24) },
          'depthwise',
        ),
        node('Add', ['c3', 'c2'], ['s'], {}, 'residual'),
        node('Sigmoid', ['s'], ['g'], {}, 'sigmoid'),
        node('GlobalAveragePool', ['g'], ['gp'], {}, 'gap'),
        node('Flatten', ['gp'], ['f'], {}, 'flatten'),
        node('Gemm', ['f', 'wf', 'bf'], ['y'], { transB: int(1) }, 'fc'),
      ],
      initializers: {
        w1: w([16, 3, 3, 3], 1),
        b1: w([16], 2),
        w2: w([24, 16, 1, 1], 3),
        w3: w([24, 1, 3, 3], 4),
        wf: w([10, 24], 5),
        bf: w([10], 6),
      },
    }),
  );
}

describe('wasm threads: a threaded artifact computes what the single-threaded one does', () => {
  const x = randomFloat32([1, 3, 13, 11], 7);

  it.each([
    [2, 'off'],
    [3, 'on'],
  ] as const)(
    'small CNN on %i threads (relaxed %s) matches one thread and the reference',
    async (n, relaxed) => {
      const compiled = compileWasm(smallCnn(), { threads: n });
      const kernels = compiled.lowered.kernels;
      expect(kernels.filter(isParallel).length).toBeGreaterThan(3);
      // zero-padded copies split in two phases (fill, copy) with a barrier between them
      expect(kernels.filter((k) => k.name === 'pad').length).toBeGreaterThan(0);
      expect(kernels.filter((k) => k.name === 'pad').every(isParallel)).toBe(true);
      const bytes = await wasmArtifact(compiled);
      const one = await open(bytes, { threads: 1, relaxedSimd: relaxed });
      const many = await open(bytes, { relaxedSimd: relaxed }); // the artifact's default: n
      expect(one.threads).toBe(1);
      expect(many.threads).toBe(n);
      expect(many.manifest.compiler['threads']).toBe(n);
      expect(many.manifest.target.features).toContain('threads (optional variant)');
      const want = ReferenceSession.create(smallCnn()).run({ x })['y'] as Tensor;
      const a = (await one.run({ x })).y!;
      // repeated runs reuse the workers and the barrier words
      for (let i = 0; i < 3; i++) {
        const b = (await many.run({ x })).y!;
        expect(compareTensors(b, a, TOL), 'vs one thread').toBeUndefined();
        expect(compareTensors(b, want, TOL), 'vs the reference').toBeUndefined();
      }
      // concurrent runs queue on the shared memory instead of mixing inputs
      const x2 = randomFloat32([1, 3, 13, 11], 8);
      const [r1, r2] = await Promise.all([many.run({ x }), many.run({ x: x2 })]);
      expect(compareTensors(r1.y!, a, TOL)).toBeUndefined();
      expect(compareTensors(r2.y!, (await one.run({ x: x2 })).y!, TOL)).toBeUndefined();
    },
  );

  it('more threads than the artifact was compiled for works (the split is decided at run time)', async () => {
    const bytes = await wasmArtifact(compileWasm(smallCnn(), { threads: 2 }));
    const s = await open(bytes, { threads: 4 });
    const want = ReferenceSession.create(smallCnn()).run({ x })['y'] as Tensor;
    expect(compareTensors((await s.run({ x })).y!, want, TOL)).toBeUndefined();
  });
});

/** A 3×3 conv whose im2col B (144×1024 floats, OW 32) is written in packed GEMM panels. */
function packedIm2colConv() {
  return model(
    graph({
      inputs: [value('x', 'float32', [1, 16, 32, 32])],
      outputs: [value('y', 'float32', [1, 13, 32, 32])],
      nodes: [
        node(
          'Conv',
          ['x', 'w', 'b'],
          ['y'],
          { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) },
          'conv',
        ),
      ],
      initializers: { w: randomFloat32([13, 16, 3, 3], 11, -0.5, 0.5), b: randomFloat32([13], 12) },
    }),
  );
}

describe('wasm threads: GEMM column panels of a packed im2col B split across threads', () => {
  it('3×3 conv on 3 threads matches the reference', async () => {
    const compiled = compileWasm(packedIm2colConv(), { threads: 3 });
    expect(compiled.lowered.kernels.map((k) => k.name)).toContain('im2col_packed');
    const s = await open(await wasmArtifact(compiled), {});
    expect(s.threads).toBe(3);
    const x = randomFloat32([1, 16, 32, 32], 13);
    const want = ReferenceSession.create(packedIm2colConv()).run({ x })['y'] as Tensor;
    expect(compareTensors((await s.run({ x })).y!, want, TOL)).toBeUndefined();
  });
});

/**
 * A 1×1 conv deep and narrow like resnet18's layer4: 259 output channels (64 row tiles of 4 and 3 rows
 * left over), 20 output pixels (2 column panels and a 4-wide tail) and k = 4100, whose 4.2 MB of
 * weights are passed over in k blocks. More row tiles than panels: threads split the rows.
 */
function deepNarrowConv() {
  return model(
    graph({
      inputs: [value('x', 'float32', [1, 4100, 5, 4])],
      outputs: [value('y', 'float32', [1, 259, 5, 4])],
      nodes: [
        node('Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: ints([1, 1]) }, 'conv'),
        node('Relu', ['c'], ['y']),
      ],
      initializers: { w: randomFloat32([259, 4100, 1, 1], 21, -0.1, 0.1), b: randomFloat32([259], 22) },
    }),
  );
}

describe('wasm threads: GEMM row tiles split across threads when they outnumber the column panels', () => {
  it.each([2, 3])('deep narrow 1×1 conv (k blocks, leftover rows, narrow tail) on %i threads', async (n) => {
    const compiled = compileWasm(deepNarrowConv(), { threads: n });
    const gemm = compiled.lowered.kernels.find((k) => k.kind === 'gemm');
    expect(gemm?.kind === 'gemm' && gemm.tile.kc).toBeLessThan(4100);
    const s = await open(await wasmArtifact(compiled), {});
    expect(s.threads).toBe(n);
    const x = randomFloat32([1, 4100, 5, 4], 23);
    const want = ReferenceSession.create(deepNarrowConv()).run({ x })['y'] as Tensor;
    expect(compareTensors((await s.run({ x })).y!, want, TOL)).toBeUndefined();
  });
});

describe('wasm threads: the barrier spins only while every thread has a core', () => {
  it('spin budget: 100 000 with a core per thread, none when threads outnumber cores', () => {
    expect(threadSpinLimit(2, 2)).toBe(100_000);
    expect(threadSpinLimit(1, 16)).toBe(100_000);
    expect(threadSpinLimit(3, 2)).toBe(0);
  });

  it('a pool writes the budget into the sync block the module reads', async () => {
    const compiled = compileWasm(smallCnn(), { threads: 2 });
    const memory = WasmInstance.memory(compiled.layout, compiled.weights, true);
    const module = new WebAssembly.Module(compiled.modules.threads!.simd);
    const words = new Int32Array(memory.buffer);
    const at = (compiled.layout.syncOffset! + SYNC.spinLimit) / 4;
    const many = await ThreadPool.start(spawnNodeThread, module, memory, 3, compiled.layout.syncOffset!, {
      cores: 2,
    });
    expect(words[at]).toBe(0);
    many.release();
    const few = await ThreadPool.start(spawnNodeThread, module, memory, 2, compiled.layout.syncOffset!, {
      cores: 2,
    });
    expect(words[at]).toBe(100_000);
    few.release();
  });
});

describe('wasm threads: bad requests and failures are clear errors', () => {
  const x = randomFloat32([1, 3, 13, 11], 7);

  it('threads on a single-threaded artifact is refused', async () => {
    const bytes = await wasmArtifact(compileWasm(smallCnn()));
    expect(bytes.length).toBeGreaterThan(0);
    await expect(WasmSession.create(bytes, { threads: 2 })).rejects.toThrow(
      /compiled without threads, so it cannot run on 2.*kiln compile --threads N/,
    );
    await expect(WasmSession.create(bytes, { threads: 0 })).rejects.toThrow(KilnError);
    expect(() => compileWasm(smallCnn(), { threads: 1.5 })).toThrow(/threads must be an integer/);
  });

  it('release() ends the workers: later runs reject and nothing keeps the process alive', async () => {
    const s = await WasmSession.create(await wasmArtifact(compileWasm(smallCnn(), { threads: 2 })));
    await s.run({ x });
    await s.release();
    await expect(s.run({ x })).rejects.toThrow(/released/);
  });

  it('a trapping thread rejects the run naming it; the others leave their barrier', async () => {
    // run(tid, n): tid 1 traps; the others wait at a barrier-like spin on the generation word
    const layout: WasmLayout = {
      memoryBytes: 65536,
      weightsOffset: 0,
      syncOffset: 64,
      inputs: [],
      outputs: [],
    };
    const m = new binaryen.Module();
    m.setFeatures(binaryen.Features.Atomics);
    m.setMemory(1, 1, null, [], true);
    m.addMemoryImport('0', 'env', 'memory', true);
    const gen = m.i32.const(64 + SYNC.generation);
    m.addFunction(
      'run',
      binaryen.createType([binaryen.i32, binaryen.i32]),
      binaryen.none,
      [],
      m.block(null, [
        m.if(m.i32.eq(m.local.get(0, binaryen.i32), m.i32.const(1)), m.unreachable()),
        m.loop(
          'spin',
          m.block(null, [
            m.if(m.i32.atomic.load(0, m.i32.const(64 + SYNC.abort)), m.unreachable()),
            m.drop(m.memory.atomic.wait32(gen, m.i32.const(0), i64Const(m, 1_000_000))),
            m.br('spin'),
          ]),
        ),
      ]),
    );
    m.addFunctionExport('run', 'run');
    expect(m.validate()).toBeTruthy();
    const module = new WebAssembly.Module(m.emitBinary());
    m.dispose();
    const memory = WasmInstance.memory(layout, new Uint8Array(0), true);
    const pool = await ThreadPool.start(spawnNodeThread, module, memory, 3, 64, { file: 'trap.kiln' });
    await expect(pool.run()).rejects.toThrow(/\[file trap.kiln\] thread 1 of 3 failed: .*unreachable/);
    await expect(pool.run()).rejects.toThrow(/thread 1 of 3 failed/);
  });
});

describe.skipIf(!hasTorchModels)(skipNote('wasm threads on a corpus model', TORCH_MODELS), () => {
  it('mobilenet_v2 on 2 threads matches the single-threaded module and PyTorch', async () => {
    const file = join(TORCH_MODELS, 'mobilenet_v2.onnx');
    const compiled = compileWasm(loadModel(file), { threads: 2 });
    const bytes = await wasmArtifact(compiled, { sourceBytes: readFileSync(file) });
    const x = readTensorProtoFile(join(TORCH_MODELS, 'mobilenet_v2', 'test_data_set_0/input_0.pb'));
    const torch = readTensorProtoFile(join(TORCH_MODELS, 'mobilenet_v2', 'test_data_set_0/output_0.pb'));
    const one = await open(bytes, { threads: 1 });
    const two = await open(bytes, { threads: 2 });
    const feeds = { [one.inputNames[0]!]: x };
    const out = one.outputNames[0]!;
    const a = (await one.run(feeds))[out]!;
    const b = (await two.run(feeds))[out]!;
    expect(compareTensors(b, a, { rtol: 1e-5, atol: 1e-5 }), 'vs one thread').toBeUndefined();
    expect(compareTensors(b, torch, { rtol: 1e-3, atol: 1e-4 }), 'vs PyTorch').toBeUndefined();
  }, 120_000);
});
