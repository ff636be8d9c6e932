import { setFlagsFromString } from 'node:v8';
import { describe, it } from 'vitest';
import { WasmSession } from '../../../runtime/wasm/session.js';
import { compileWasm, wasmArtifact } from '../../../targets/wasm/compile.js';
import { SILERO_FILES, checkSileroStream } from '../../helpers/silero-vad.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');

describe('wasm target: silero-vad on 16 kHz chunks matches onnxruntime-node', () => {
  for (const f of SILERO_FILES) {
    it.skipIf(!f.present)(`${f.name}: three chunks in a row`, { timeout: 300_000 }, () =>
      checkSileroStream(
        f.file,
        async (model, signatures, bind) =>
          WasmSession.create(await wasmArtifact(compileWasm(model, { signatures, bind, selfTest: false }))),
        { rtol: 1e-3, atol: 1e-4 },
      ),
    );
  }
});
