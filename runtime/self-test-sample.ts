/**
 * The self-test sample a `.kiln` artifact carries (manifest `selfTest`): the model's inputs and the
 * outputs the reference executor computed for them at compile time. Each of the two files is a ustar
 * archive of `.npy` files, `0.npy`, `1.npy`, … in the order of the manifest's `inputs` / `outputs`
 * (indices, not names: tensor names need not be valid archive paths). Browser-safe.
 */
import { packTar, unpackTar } from './artifact/tar.js';
import { KilnError } from './errors.js';
import { parseNpy, serializeNpy } from './npy.js';
import type { Tensor } from './tensor.js';

export const SELF_TEST_INPUTS = 'selftest/inputs.tar';
export const SELF_TEST_OUTPUTS = 'selftest/outputs.tar';
/** fp32 kernels reorder and fuse arithmetic (FMA, blocked sums): a small relative error is expected. */
export const SELF_TEST_TOLERANCE = { rtol: 1e-3, atol: 1e-4 } as const;
/**
 * WebGPU: WGSL's exp/log/tanh/sin… may be approximations (the spec allows several ULP, and more near
 * zero), erf is rendered by a polynomial (|error| < 1.5e-7), and GPUs sum in their own order; the
 * tolerance the webgpu target is tested at against onnxruntime (docs/webgpu-target.md).
 */
export const WEBGPU_SELF_TEST_TOLERANCE = { rtol: 1e-3, atol: 1e-3 } as const;
/**
 * WebGPU fp16 (`--precision fp16`): f16 keeps 11 significant bits (a rounding error of up to 4.9e-4 per
 * stored value) and every layer stores its activations as f16; measured on the corpus in
 * docs/webgpu-target.md (fp16).
 */
export const WEBGPU_FP16_SELF_TEST_TOLERANCE = { rtol: 5e-2, atol: 5e-2 } as const;

export function packTensors(tensors: readonly Tensor[]): Uint8Array {
  return packTar(
    tensors.map((t, i) => ({ path: `${i}.npy`, data: serializeNpy(t) })),
    0,
  );
}

export function unpackTensors(bytes: Uint8Array, count: number, file: string): Tensor[] {
  const entries = new Map(unpackTar(bytes, file).map((e) => [e.path, e.data]));
  const out: Tensor[] = [];
  for (let i = 0; i < count; i++) {
    const data = entries.get(`${i}.npy`);
    if (!data) {
      throw new KilnError(`self-test sample '${file}' has no entry '${i}.npy'`, {
        expected: `${count} tensors 0.npy..${count - 1}.npy, one per manifest entry`,
      });
    }
    out.push(parseNpy(data, `${file}:${i}.npy`));
  }
  return out;
}
