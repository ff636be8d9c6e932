/** onnxruntime-node as the reference implementation in tests: run a model and convert to/from Kiln tensors. */
import * as ort from 'onnxruntime-node';
import { feedsToOrt, outputsFromOrt } from '../../bench/engines/ort-tensors.js';
import type { Tensor } from '../../runtime/tensor.js';

export async function runOrt(
  model: string | Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Tensor>> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model)
      : await ort.InferenceSession.create(model);
  try {
    return outputsFromOrt(await session.run(feedsToOrt(ort.Tensor, feeds)));
  } finally {
    await session.release();
  }
}
