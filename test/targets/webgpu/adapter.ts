import { hasWebGpuAdapter } from '../../../runtime/webgpu/node-gpu.js';

/** Whether Dawn finds an adapter on this machine; WebGPU suites skip with this note when it does not. */
export const hasAdapter = await hasWebGpuAdapter();

export function gpuNote(what: string): string {
  return hasAdapter
    ? what
    : `${what} (skipped: no WebGPU adapter; on Debian 12 run .ci/install-lavapipe for Mesa 25's lavapipe)`;
}
