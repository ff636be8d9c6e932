/* global console, process */
// Smoke check after `npm ci`: Dawn (the `webgpu` package) must find an adapter (lavapipe on CI
// machines without a GPU), or every WebGPU test would silently skip. Prints what it found.
import { create } from 'webgpu';

const gpu = create([]); // held in this scope until the process exits: Dawn crashes if it is collected
const adapter = await gpu.requestAdapter();
if (!adapter) {
  console.error('no WebGPU adapter: is Mesa 25 lavapipe installed (.ci/install-lavapipe)?');
  process.exit(1);
}
const { vendor, architecture, device, description } = adapter.info;
console.log(`WebGPU adapter: ${[vendor, architecture, device, description].filter(Boolean).join(' / ')}`);
console.log(`maxStorageBufferBindingSize ${adapter.limits.maxStorageBufferBindingSize}`);
process.exit(0);
