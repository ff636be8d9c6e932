import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ValueInfo } from '../compiler/ir/graph.js';
import { readTensorProtoFile } from '../compiler/onnx/import.js';
import { KilnError } from '../runtime/errors.js';
import { randomTensor as randomValues, seededRandom } from '../runtime/prng.js';
import type { Tensor } from '../runtime/tensor.js';

export interface BenchInputs {
  feeds: Record<string, Tensor>;
  /** 'test_data_set_0' or 'random (seed N)'. */
  source: string;
}

/**
 * The model's own test data (`<dir>/<name>/test_data_set_0/input_<i>.pb`, the layout of the ONNX model
 * zoo and the PyTorch corpus) when every input has one, else seeded random data of the declared shapes
 * (symbolic dims 1; floats in [-1, 1), integers in [0, 10)).
 */
export function benchInputs(modelFile: string, inputs: ValueInfo[], seed = 0): BenchInputs {
  const dir = join(
    dirname(modelFile),
    modelFile.replace(/^.*[\\/]/, '').replace(/\.onnx$/, ''),
    'test_data_set_0',
  );
  const files = inputs.map((_, i) => join(dir, `input_${i}.pb`));
  if (inputs.length > 0 && files.every((f) => existsSync(f))) {
    return {
      feeds: Object.fromEntries(inputs.map((vi, i) => [vi.name, readTensorProtoFile(files[i]!)])),
      source: 'test_data_set_0',
    };
  }
  const rng = seededRandom(seed);
  return {
    feeds: Object.fromEntries(inputs.map((vi) => [vi.name, randomTensor(vi, rng)])),
    source: `random (seed ${seed})`,
  };
}

/** Seeded random data of an input's declared shape (symbolic dims 1). */
export function randomTensor(vi: ValueInfo, rng: () => number): Tensor {
  if (!vi.type?.shape) {
    throw new KilnError(`input '${vi.name}' has no declared shape`, {
      expected: 'a model with input shapes',
    });
  }
  return randomValues(
    vi.type.dtype,
    vi.type.shape.map((d) => (typeof d === 'number' ? d : 1)),
    rng,
  );
}
