import { seededRandom } from '../../runtime/prng.js';
import { Tensor, shapeSize } from '../../runtime/tensor.js';

export { seededRandom };

export function randomFloat32(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const rng = seededRandom(seed);
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rng();
  return new Tensor('float32', shape, data);
}
