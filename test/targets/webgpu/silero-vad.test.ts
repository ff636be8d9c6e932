import { describe, it } from 'vitest';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../../../runtime/webgpu/session.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { SILERO_FILES, checkSileroStream } from '../../helpers/silero-vad.js';
import { gpuNote, hasAdapter } from './adapter.js';

describe.skipIf(!hasAdapter)(
  gpuNote('webgpu target: silero-vad on 16 kHz chunks matches onnxruntime-node'),
  () => {
    for (const f of SILERO_FILES) {
      it.skipIf(!f.present)(`${f.name}: three chunks in a row`, { timeout: 600_000 }, () =>
        checkSileroStream(
          f.file,
          async (model, signatures, bind) =>
            WebGpuSession.create(
              await webGpuArtifact(compileWebGpu(model, { signatures, bind, selfTest: false })),
              { gpu: await nodeWebGpu() },
            ),
          // the webgpu target's tolerance (docs/webgpu-target.md: WGSL's exp/tanh approximate)
          { rtol: 1e-3, atol: 1e-3 },
        ),
      );
    }
  },
);
