import type { Model } from '../../../compiler/ir/graph.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { Tensor } from '../../../runtime/tensor.js';
import { WasmSession } from '../../../runtime/wasm/session.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { runOrt } from '../../helpers/ort.js';
import { rand } from './execute.js';

/**
 * A model with one float32 input `x` (seeded data of `shape`) and one output `y`, run by
 * onnxruntime-node and compiled for wasm: both outputs and the names of the kernels it lowered to.
 */
export async function wasmAgainstOrt(
  m: Model,
  shape: number[],
  seed: number,
): Promise<{ got: Tensor; want: Tensor; kernels: string[] }> {
  const x = new Tensor(
    'float32',
    shape,
    rand(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
  );
  const want = (await runOrt(exportModel(m), { x })).y!;
  const compiled = compileWasm(m);
  const s = await WasmSession.create(await wasmArtifact(compiled));
  const got = (await s.run({ x })).y!;
  return { got, want, kernels: compiled.lowered.kernels.map((k) => k.name) };
}
