import { elemBytes } from '../kernel/ir.js';
import type { LoweredModel } from '../kernel/lower/index.js';
import { kernelUses } from '../kernel/uses.js';
import type { PlanTensor } from './memory.js';

/**
 * The activation tensors of a lowered model as the memory planner sees them: each non-weight buffer
 * with the steps (kernels) that first write and last read it. Every target plans its arena from this.
 */
export function kernelTensors(lowered: LoweredModel): PlanTensor[] {
  const bytesOf = (name: string) => {
    const b = lowered.buffers.get(name)!;
    return b.size * elemBytes(b.dtype ?? 'f32');
  };
  const tensors = new Map<string, PlanTensor>();
  lowered.kernels.forEach((k, step) => {
    const { reads, writes } = kernelUses(k);
    for (const name of [...reads, ...writes]) {
      const b = lowered.buffers.get(name)!;
      if (b.role === 'weight') continue;
      const t = tensors.get(name);
      if (t) t.lastStep = step;
      else {
        const kind = b.role === 'input' ? 'input' : b.role === 'output' ? 'output' : 'intermediate';
        tensors.set(name, {
          id: name,
          bytes: bytesOf(name),
          firstStep: step,
          lastStep: step,
          kind,
        });
      }
    }
  });
  // Inputs and outputs no kernel touches (e.g. an unused input) still need a place.
  for (const io of [...lowered.inputs, ...lowered.outputs]) {
    if (!tensors.has(io.buffer)) {
      const b = lowered.buffers.get(io.buffer)!;
      tensors.set(io.buffer, {
        id: io.buffer,
        bytes: bytesOf(io.buffer),
        firstStep: 0,
        lastStep: 0,
        kind: b.role === 'input' ? 'input' : 'output',
      });
    }
  }
  return [...tensors.values()];
}
