import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { loadModel, readTensorProtoFile } from '../../../compiler/onnx/import.js';
import { KilnError } from '../../../runtime/errors.js';
import { Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { WasmSession } from '../../../runtime/wasm/session.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';
import { TORCH_MODELS, hasTorchModels, skipNote } from '../../helpers/paths.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

const TOL = { rtol: 1e-3, atol: 1e-4 };
/** The corpus (lstm through the graph passes that unroll LSTM). */
const LOWERED = [
  'mlp',
  'resnet18',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'squeezenet1_1',
  'shufflenet_v2_x1_0',
  'efficientnet_b0',
  'mnasnet0_5',
  'transformer_encoder',
  'lstm',
];

describe.skipIf(!hasTorchModels)(skipNote('wasm target on the PyTorch corpus', TORCH_MODELS), () => {
  it('covers every model of the corpus', () => {
    const all = readdirSync(TORCH_MODELS)
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => f.slice(0, -5));
    expect(all.filter((m) => !LOWERED.includes(m))).toEqual([]);
  });

  for (const name of LOWERED) {
    it.each(['simd', 'relaxed'] as const)(
      `${name} (%s): compiled output matches PyTorch and onnxruntime-node`,
      async (variant) => {
        const file = join(TORCH_MODELS, `${name}.onnx`);
        const compiled = compileWasm(loadModel(file));
        const session = await WasmSession.create(
          await wasmArtifact(compiled, { sourceBytes: readFileSync(file) }),
          {
            relaxedSimd: variant === 'relaxed' ? 'on' : 'off',
          },
        );
        expect(session.variant).toBe(variant);
        const x = readTensorProtoFile(join(TORCH_MODELS, name, 'test_data_set_0/input_0.pb'));
        const feeds = { [session.inputNames[0]!]: x };
        const ours = await session.run(feeds);
        const ort = await runOrt(file, feeds);
        const torch = readTensorProtoFile(join(TORCH_MODELS, name, 'test_data_set_0/output_0.pb'));
        const out = session.outputNames[0]!;
        expect(compareTensors(ours[out]!, torch, TOL), 'vs PyTorch').toBeUndefined();
        expect(compareTensors(ours[out]!, ort[out]!, TOL), 'vs onnxruntime').toBeUndefined();
        expect(compiled.arena.bytes).toBeLessThan(compiled.arena.naiveBytes);
      },
    );
  }
});

describe('wasm target: bad input fails clearly', () => {
  const tiny = () =>
    model(
      graph({
        inputs: [value('x', 'float32', [1, 4])],
        outputs: [value('y', 'float32', [1, 4])],
        nodes: [node('Relu', ['x'], ['y'], {}, 'the_relu')],
      }),
    );

  it('an op the target cannot lower is a compile-time error naming op and node', () => {
    const lpNorm = () =>
      model(
        graph({
          inputs: [value('x', 'float32', [4, 4])],
          outputs: [value('y', 'float32', [4, 4])],
          nodes: [node('LpNormalization', ['x'], ['y'], {}, 'the_lpnorm')],
        }),
      );
    expect(() => compileWasm(lpNorm())).toThrow(KilnError);
    expect(() => compileWasm(lpNorm())).toThrow(/node 'the_lpnorm'.*op LpNormalization.*cannot be lowered/);
  });

  it('symbolic shapes are refused with the value named', () => {
    const m = tiny();
    m.graph.inputs[0] = value('x', 'float32', ['batch', 4]);
    expect(() => compileWasm(m)).toThrow(/'x' has symbolic shape \[batch,4\]/);
  });

  it('a truncated or edited artifact is refused at load; wrong feeds are refused at run', async () => {
    const bytes = await wasmArtifact(compileWasm(tiny()));
    await expect(WasmSession.create(bytes.subarray(0, bytes.length - 700))).rejects.toThrow(KilnError);
    const edited = bytes.slice();
    // flip a byte inside the first module's code (just past its "\0asm" magic)
    const at = Buffer.from(bytes).indexOf(Buffer.from([0, 0x61, 0x73, 0x6d])) + 12;
    edited[at] = edited[at]! ^ 0xff;
    await expect(WasmSession.create(edited)).rejects.toThrow(/model(\.relaxed)?\.wasm/);
    const s = await WasmSession.create(bytes);
    await expect(s.run({ x: tensorFrom('float32', [1, 3], [1, 2, 3]) })).rejects.toThrow(
      /input 'x' is float32\[1,3\].*expected: float32\[1,4\]/,
    );
    await expect(s.run({})).rejects.toThrow(/missing input 'x'/);
    const y = await s.run({ x: tensorFrom('float32', [1, 4], [-1, 2, -3, 4]) });
    expect(Array.from((y.y as Tensor).data as Float32Array)).toEqual([0, 2, 0, 4]);
  });
});
