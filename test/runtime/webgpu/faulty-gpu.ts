/**
 * Fault injection for WebGPU tests: a real GPU (Dawn on lavapipe) whose devices fail chosen
 * `createBuffer` calls with an out-of-memory error, as a driver that cannot back a buffer does.
 * Lavapipe allocates lazily from host memory, so a real OOM cannot be provoked safely on a shared
 * CI machine. Everything else goes to the real device; the failed buffer is a real, destroyed one
 * (an invalid buffer, as WebGPU returns after OOM), and the error surfaces through the innermost
 * 'out-of-memory' error scope, as the spec says.
 */
export interface FaultyGpu {
  gpu: GPU;
  /** Devices requested through `gpu`, in order. */
  devices: GPUDevice[];
  /** Calls of createBuffer that failed. */
  failures: number;
}

export function faultyGpu(real: GPU, failCreateBuffer: (desc: GPUBufferDescriptor) => boolean): FaultyGpu {
  const state: FaultyGpu = { gpu: undefined as unknown as GPU, devices: [], failures: 0 };
  const wrapDevice = (device: GPUDevice): GPUDevice => {
    // one entry per pushed scope: its filter and the error injected into it, if any
    const scopes: { filter: GPUErrorFilter; injected?: { message: string } }[] = [];
    return forward(device, {
      pushErrorScope: (filter: GPUErrorFilter) => {
        scopes.push({ filter });
        device.pushErrorScope(filter);
      },
      popErrorScope: async () => {
        const scope = scopes.pop();
        const real = await device.popErrorScope();
        return (scope?.injected as GPUError | undefined) ?? real;
      },
      createBuffer: (desc: GPUBufferDescriptor) => {
        if (!failCreateBuffer(desc)) return device.createBuffer(desc);
        state.failures++;
        const scope = [...scopes].reverse().find((s) => s.filter === 'out-of-memory');
        if (scope) scope.injected ??= { message: `injected: cannot allocate a ${desc.size}-byte buffer` };
        const invalid = device.createBuffer({ ...desc, size: 4, mappedAtCreation: false });
        invalid.destroy();
        return invalid;
      },
    });
  };
  state.gpu = forward(real, {
    requestAdapter: async (options?: GPURequestAdapterOptions) => {
      const adapter = await real.requestAdapter(options);
      if (!adapter) return null;
      return forward(adapter, {
        requestDevice: async (desc?: GPUDeviceDescriptor) => {
          const device = await adapter.requestDevice(desc);
          state.devices.push(device);
          return wrapDevice(device);
        },
      });
    },
  });
  return state;
}

/** `target` with some methods replaced; every other property read from (and bound to) the target. */
function forward<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, key) {
      if (typeof key === 'string' && key in overrides) return overrides[key];
      const value = Reflect.get(t, key, t) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}
