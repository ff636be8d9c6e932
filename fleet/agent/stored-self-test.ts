import type { InferenceSession, OutputValue } from '../../runtime/inference-session.js';
import { groupTensors, ungroupTensors } from '../../runtime/structured-io.js';
import { KilnError } from '../../runtime/errors.js';
import { unpackTensors } from '../../runtime/self-test-sample.js';
import { fromKilnTensor, toKilnTensor } from '../../runtime/tensor-interop.js';
import type { Tensor } from '../../runtime/ort-tensor.js';

/**
 * Runs the artifact's stored self-test (manifest `selfTest`): its sample inputs through the session,
 * each output compared with the reference executor's at the recorded tolerance,
 * |got − expected| ≤ atol + rtol·|expected| (a non-finite output always fails, also where the reference gave one). Throws naming the output, the worst element and the
 * max error when one is off.
 */
export async function storedSelfTest(session: InferenceSession): Promise<void> {
  const st = session.manifest.selfTest;
  if (!st) throw new KilnError('the artifact has no stored self-test', { expected: 'a manifest selfTest' });
  const { inputs: ins, outputs: outs } = session.manifest;
  const file = (path: string) => {
    const bytes = session.files.get(path);
    if (!bytes) throw new KilnError(`self-test file '${path}' is missing from the artifact`);
    return bytes;
  };
  const inputs = unpackTensors(file(st.inputs), ins.length, st.inputs);
  const expected = unpackTensors(file(st.outputs), outs.length, st.outputs);
  const feeds: Record<string, Tensor> = {};
  ins.forEach((m, i) => (feeds[m.name] = fromKilnTensor(inputs[i]!)));
  // the sample is flattened as the manifest lists tensors; sequence/optional I/O goes through the
  // session as sequences (runtime/structured-io.ts)
  const io = session.manifest.structuredIo;
  const got = ungroupTensors(
    await session.run<Record<string, OutputValue>>(groupTensors(feeds, io?.inputs)),
    io?.outputs,
  );
  outs.forEach((m, i) => {
    const g = got[m.name];
    if (!g) throw new KilnError(`self-test: output '${m.name}' is missing`);
    const actual = toKilnTensor(g, `output '${m.name}'`);
    const want = expected[i]!;
    if (actual.shape.join(',') !== want.shape.join(',')) {
      throw new KilnError(`self-test: output '${m.name}' has shape [${actual.shape.join(', ')}]`, {
        expected: `[${want.shape.join(', ')}] as the stored sample`,
      });
    }
    let worst = -1;
    let maxErr = 0;
    for (let k = 0; k < want.data.length; k++) {
      const a = Number(actual.data[k]);
      if (!Number.isFinite(a)) {
        throw new KilnError(`self-test: output '${m.name}' has a non-finite value (${a}) at index ${k}`, {
          expected: 'finite outputs on the stored sample input',
        });
      }
      const e = Number(want.data[k]);
      const err = Math.abs(a - e);
      const bad = !(err <= st.atol + st.rtol * Math.abs(e));
      maxErr = Math.max(maxErr, Number.isFinite(err) ? err : Infinity);
      if (bad && worst < 0) worst = k;
    }
    if (worst >= 0) {
      throw new KilnError(
        `self-test failed: output '${m.name}' differs from the stored expected output (max error ${maxErr}; first at index ${worst}: got ${Number(actual.data[worst])}, expected ${Number(want.data[worst])})`,
        { expected: `|got - expected| <= ${st.atol} + ${st.rtol}*|expected| everywhere` },
      );
    }
  });
}
