import type { InferenceSession, OutputValue } from '../../runtime/inference-session.js';
import { groupTensors, ungroupTensors } from '../../runtime/structured-io.js';
import { Tensor } from '../../runtime/ort-tensor.js';
import { seededRandom } from '../../runtime/prng.js';
import { KilnError } from '../../runtime/errors.js';
import { storedSelfTest } from './stored-self-test.js';

const SEED = 0x6b696c6e;

/**
 * The agent's self-test of a freshly downloaded model before switching to it: the artifact's stored
 * sample (`storedSelfTest`) when it has one; otherwise the fallback below.
 */
export async function selfTest(session: InferenceSession): Promise<void> {
  if (session.manifest.selfTest) return storedSelfTest(session);
  return finiteSelfTest(session);
}

/**
 * Fallback for artifacts without a stored sample: run the model on a seeded float input (symbolic
 * dims 1) and require every output to have the manifest's static dims and only finite values. This
 * catches models that do not load, crash, or produce NaN/Inf, not wrong ones.
 */
export async function finiteSelfTest(session: InferenceSession): Promise<void> {
  const rng = seededRandom(SEED);
  const feeds: Record<string, Tensor> = {};
  for (const input of session.manifest.inputs) {
    const dims = input.shape.map((d) => (typeof d === 'number' ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    if (input.dtype !== 'float32') {
      throw new KilnError(`self-test cannot make a sample for input '${input.name}' of type ${input.dtype}`, {
        expected: 'float32 inputs',
      });
    }
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng() * 2 - 1;
    feeds[input.name] = new Tensor('float32', data, dims);
  }
  const io = session.manifest.structuredIo;
  const outputs = ungroupTensors(
    await session.run<Record<string, OutputValue>>(groupTensors(feeds, io?.inputs)),
    io?.outputs,
  );
  for (const o of session.manifest.outputs) {
    const t = outputs[o.name];
    if (!t) throw new KilnError(`self-test: output '${o.name}' is missing`);
    o.shape.forEach((d, i) => {
      if (typeof d === 'number' && t.dims[i] !== d) {
        throw new KilnError(`self-test: output '${o.name}' has dims [${t.dims.join(', ')}]`, {
          expected: `[${o.shape.join(', ')}] as the manifest says`,
        });
      }
    });
    const data = t.data as ArrayLike<number>;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new KilnError(
          `self-test: output '${o.name}' has a non-finite value (${data[i]}) at index ${i}`,
          {
            expected: 'finite outputs on the seeded sample input',
          },
        );
      }
    }
  }
}
