import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ValueInfo } from '../compiler/ir/graph.js';
import { readTensorProtoFile } from '../compiler/onnx/import.js';
import { isBigIntDType, isFloatDType } from '../runtime/dtype.js';
import { KilnError } from '../runtime/errors.js';
import { Tensor, allocData, shapeSize } from '../runtime/tensor.js';

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
  const rng = mulberry32(seed);
  return {
    feeds: Object.fromEntries(inputs.map((vi) => [vi.name, randomTensor(vi, rng)])),
    source: `random (seed ${seed})`,
  };
}

export function randomTensor(vi: ValueInfo, rng: () => number): Tensor {
  if (!vi.type?.shape) {
    throw new KilnError(`input '${vi.name}' has no declared shape`, {
      expected: 'a model with input shapes',
    });
  }
  const shape = vi.type.shape.map((d) => (typeof d === 'number' ? d : 1));
  const dtype = vi.type.dtype;
  const data = allocData(dtype, shapeSize(shape));
  for (let i = 0; i < data.length; i++) {
    const r = rng();
    if (isFloatDType(dtype)) (data as Float32Array)[i] = r * 2 - 1;
    else if (isBigIntDType(dtype)) (data as BigInt64Array)[i] = BigInt(Math.floor(r * 10));
    else if (dtype === 'bool') (data as Uint8Array)[i] = r < 0.5 ? 1 : 0;
    else if (dtype === 'string') (data as string[])[i] = '';
    else (data as Int32Array)[i] = Math.floor(r * 10);
  }
  return new Tensor(dtype, shape, data);
}

/** A small seeded PRNG (mulberry32), uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
