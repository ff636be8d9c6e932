import type { Model } from '../compiler/ir/graph.js';
import type { JsonValue } from '../runtime/artifact/manifest.js';
import { KilnError } from '../runtime/errors.js';

export interface TargetCompileOptions {
  sourceBytes: Uint8Array;
  sourceName: string;
  kilnVersion: string;
  passes?: string[];
  optimize?: boolean;
}

/** One compile target as the registry sees it: ONNX model in, .kiln artifact bytes out. */
export interface RegistryTarget {
  name: string;
  /** Why this Kiln cannot compile for the target, or undefined when it can. */
  unavailable?: string;
  compile(model: Model, options: TargetCompileOptions): Promise<Uint8Array>;
  /** The options recorded with a variant, to reproduce the build. */
  recordedOptions(options: TargetCompileOptions): Record<string, JsonValue>;
}

const notBuilt = (name: string): RegistryTarget => ({
  name,
  unavailable: `the ${name} target is not part of this Kiln yet (targets/${name} has no compiler)`,
  compile: async () => {
    throw new KilnError(`cannot compile for ${name}: the target is not available`);
  },
  recordedOptions: () => ({}),
});

const common = (o: TargetCompileOptions): Record<string, JsonValue> => ({
  ...(o.passes ? { passes: o.passes } : {}),
  ...(o.optimize !== undefined ? { optimize: o.optimize } : {}),
});

/**
 * The targets `registry compile` dispatches to. A new target (jetson) plugs in here with
 * its compile function; until then it is listed with the reason it cannot be used.
 */
export const REGISTRY_TARGETS: Record<string, RegistryTarget> = {
  wasm: {
    name: 'wasm',
    // the compilers are loaded on the first compile: binaryen alone adds ~700 MiB to the RSS of a
    // process (a fleet server) that never compiles
    compile: async (model, o) => {
      const { compileWasm, wasmArtifact } = await import('../targets/wasm/compile.js');
      return wasmArtifact(compileWasm(model, { passes: o.passes, optimize: o.optimize }), {
        sourceBytes: o.sourceBytes,
        sourceName: o.sourceName,
        kilnVersion: o.kilnVersion,
        passes: o.passes,
        optimize: o.optimize,
      });
    },
    recordedOptions: common,
  },
  webgpu: {
    name: 'webgpu',
    compile: async (model, o) => {
      const { compileWebGpu, webGpuArtifact } = await import('../targets/webgpu/compile.js');
      return webGpuArtifact(compileWebGpu(model, { passes: o.passes }), {
        sourceBytes: o.sourceBytes,
        sourceName: o.sourceName,
        kilnVersion: o.kilnVersion,
        passes: o.passes,
      });
    },
    // WGSL is not run through binaryen: --optimize has no meaning here and is not recorded
    recordedOptions: (o) => common({ ...o, optimize: undefined }),
  },
  jetson: notBuilt('jetson'),
};

export function registryTarget(name: string): RegistryTarget {
  const target = REGISTRY_TARGETS[name];
  if (!target) {
    throw new KilnError(`unknown target '${name}'`, {
      expected: `one of ${Object.keys(REGISTRY_TARGETS).join(', ')}`,
    });
  }
  if (target.unavailable) throw new KilnError(`cannot compile for ${name}: ${target.unavailable}`);
  return target;
}
