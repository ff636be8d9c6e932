import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import type { Model } from '../../../compiler/ir/graph.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { readArtifact, validateManifest } from '../../../runtime/artifact/index.js';
import { KilnError } from '../../../runtime/errors.js';
import { InferenceSession } from '../../../runtime/inference-session.js';
import { Tensor as OrtTensor } from '../../../runtime/ort-tensor.js';
import { Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { fromKilnTensor, toKilnTensor } from '../../../runtime/tensor-interop.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

const i64 = (values: number[]) => tensorFrom('int64', [values.length], values);

/**
 * Shapes decided by graph inputs: r = Reshape(x, shape), e = Expand(c, new_shape) + 1,
 * s = Slice(x, starts, ends, axes) with the ends computed from a fed input (Add(ends_base, 1)), so
 * folding must go through arithmetic on a bound value.
 */
function shapeModel(): Model {
  return model(
    graph({
      inputs: [
        value('x', 'float32', [2, 3, 4]),
        value('shape', 'int64', [2]),
        value('c', 'float32', [3, 1]),
        value('new_shape', 'int64', [3]),
        value('starts', 'int64', [2]),
        value('ends_base', 'int64', [2]),
      ],
      outputs: [value('r', 'float32'), value('e', 'float32'), value('s', 'float32')],
      nodes: [
        node('Reshape', ['x', 'shape'], ['r']),
        node('Expand', ['c', 'new_shape'], ['ex']),
        node('Add', ['ex', 'one'], ['e']),
        node('Add', ['ends_base', 'one_i'], ['ends']),
        node('Slice', ['x', 'starts', 'ends', 'axes'], ['s']),
      ],
      initializers: {
        one: new Tensor('float32', [], new Float32Array([1])),
        one_i: tensorFrom('int64', [], [1]),
        axes: i64([1, 2]),
      },
    }),
    13,
  );
}

const bound = () =>
  new Map<string, Tensor>([
    ['shape', i64([-1, 4])],
    ['new_shape', i64([2, 3, 5])],
    ['starts', i64([1, -3])],
    ['ends_base', i64([2, 99])],
  ]);

const feeds = (): Record<string, Tensor> => ({
  x: new Tensor(
    'float32',
    [2, 3, 4],
    Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3),
  ),
  c: new Tensor('float32', [3, 1], new Float32Array([-1, 0.25, 7])),
  ...Object.fromEntries(bound()),
});

const toOrt = (f: Record<string, Tensor>) =>
  Object.fromEntries(Object.entries(f).map(([k, t]) => [k, fromKilnTensor(t)]));

describe('binding shape inputs at compile time (--bind)', () => {
  it('compiles a model whose shapes come from fed inputs, matching onnxruntime-node', async () => {
    const onnx = exportModel(shapeModel());
    const compiled = compileWasm(shapeModel(), { bind: bound() });
    const bytes = await wasmArtifact(compiled);
    const session = await InferenceSession.create(bytes);
    // the bound inputs stay inputs of the artifact: the session API is unchanged
    expect(session.inputNames).toEqual(['x', 'shape', 'c', 'new_shape', 'starts', 'ends_base']);
    const got = await session.run(toOrt(feeds()));
    const want = await runOrt(onnx, feeds());
    expect(got.r!.dims).toEqual([6, 4]);
    expect(got.e!.dims).toEqual([2, 3, 5]);
    expect(got.s!.dims).toEqual([2, 2, 3]);
    for (const name of ['r', 'e', 's']) {
      const diff = compareTensors(toKilnTensor(got[name]!, name), want[name]!, { rtol: 1e-6, atol: 0 });
      expect(diff, name).toBeUndefined();
    }
    // the self-test sample feeds the bound values (random ones would be refused)
    const artifact = await readArtifact(bytes);
    expect(artifact.manifest.boundInputs).toEqual([
      { name: 'shape', dtype: 'int64', shape: [2], values: ['-1', '4'] },
      { name: 'new_shape', dtype: 'int64', shape: [3], values: ['2', '3', '5'] },
      { name: 'starts', dtype: 'int64', shape: [2], values: ['1', '-3'] },
      { name: 'ends_base', dtype: 'int64', shape: [2], values: ['2', '99'] },
    ]);
    expect(artifact.manifest.selfTest).toBeDefined();
    await session.release();
  });

  it('refuses a run fed another value of a bound input, naming the input and both values', async () => {
    const session = await InferenceSession.create(
      await wasmArtifact(compileWasm(shapeModel(), { bind: bound() })),
    );
    const wrong = { ...feeds(), shape: i64([4, -1]) };
    const run = session.run(toOrt(wrong));
    await expect(run).rejects.toThrow(KilnError);
    await expect(run).rejects.toThrow(
      /input 'shape' was bound at compile time to int64 \[-1, 4\] \(dims \[2\]\), but the run was given \[4, -1\]/,
    );
    // the same value again still runs
    await expect(session.run(toOrt(feeds()))).resolves.toBeDefined();
    await session.release();
  });

  it('without --bind the input deciding a shape is refused, with the hint to bind it', () => {
    expect(() => compileWasm(shapeModel(), { selfTest: false })).toThrow(
      /shape \('shape'\) is fed at run time but decides the output's shape.*--bind NAME=FILE\.npy/,
    );
  });

  it('refuses bindings that do not fit the model', () => {
    const compile = (bind: Map<string, Tensor>) => () => compileWasm(shapeModel(), { bind, selfTest: false });
    expect(compile(new Map([...bound(), ['nope', i64([1])]]))).toThrow(
      /cannot bind 'nope': the model has no graph input of that name.*'x', 'shape'/,
    );
    expect(compile(new Map([...bound(), ['shape', tensorFrom('int32', [2], [-1, 4])]]))).toThrow(
      /cannot bind 'shape': the value is int32 \(expected: int64/,
    );
    expect(compile(new Map([...bound(), ['shape', i64([-1, 2, 2])]]))).toThrow(
      /cannot bind 'shape': the value has dims \[3\] \(expected: dims \[2\]/,
    );
  });

  it('the manifest validator checks boundInputs', async () => {
    const artifact = await readArtifact(
      await wasmArtifact(compileWasm(shapeModel(), { bind: bound(), selfTest: false })),
    );
    const m = structuredClone(artifact.manifest) as unknown as Record<string, unknown>;
    m.boundInputs = [{ name: 'ghost', dtype: 'int64', shape: [2], values: ['1'] }];
    expect(() => validateManifest(m)).toThrow(
      /boundInputs\[0\]\.name.*one of inputs.*boundInputs\[0\]\.values/s,
    );
  });
});

describe('the public Tensor feeds of a bound session', () => {
  it('accepts onnxruntime-style tensors for the bound value', async () => {
    const session = await InferenceSession.create(
      await wasmArtifact(compileWasm(shapeModel(), { bind: bound(), selfTest: false })),
    );
    const f = toOrt(feeds());
    f.shape = new OrtTensor('int64', new BigInt64Array([-1n, 4n]), [2]);
    const out = await session.run(f);
    expect(out.r!.dims).toEqual([6, 4]);
    await session.release();
  });
});
