import { checkBoundFeeds } from '../../runtime/bound-inputs.js';
import { KilnError } from '../../runtime/errors.js';
import { Tensor } from '../../runtime/tensor.js';
import { WebGpuInstance } from '../../runtime/webgpu/instance.js';
import { nodeWebGpu } from '../../runtime/webgpu/node-gpu.js';
import { type WebGpuCompileResult, compileWebGpu } from '../../targets/webgpu/compile.js';
import type { Model } from '../ir/graph.js';
import type { Value } from '../reference/value.js';
import type { AsyncBackend } from './backend.js';
import { flatFeeds, structuredOutputs } from './structured-feeds.js';

/**
 * The webgpu target as a conformance backend, on Dawn (the `webgpu` npm package): compile with
 * compileWebGpu, set the model up on the GPU and run it. A model the lowering refuses is unsupported
 * with the compile error as the reason; shader errors, device errors and wrong results are failures.
 */
export function webGpuBackend(): AsyncBackend {
  const compiled = new WeakMap<Model, WebGpuCompileResult>();
  return {
    name: 'webgpu',
    bindsShapeInputs: true,
    unsupportedReason(model, options = {}) {
      try {
        compiled.set(
          model,
          compileWebGpu(model, { selfTest: false, bind: options.bind, signatures: options.signatures }),
        );
        return undefined;
      } catch (err) {
        if (err instanceof KilnError && !err.message.includes('internal error')) return err.message;
        return undefined; // prepare compiles again and reports it as a failure
      }
    },
    async prepare(model, options = {}) {
      const c =
        compiled.get(model) ??
        compileWebGpu(model, { selfTest: false, bind: options.bind, signatures: options.signatures });
      compiled.delete(model);
      const instance = await WebGpuInstance.create(c.layout, (p) => c.shaders.get(p)!, c.weights, {
        gpu: await nodeWebGpu(),
      });
      return {
        async run(feeds: Map<string, Value>) {
          const inputs = flatFeeds(feeds, c.structured, c.layout.inputs);
          checkBoundFeeds(c.bound, inputs); // as sessions do: a bound input fed another value is refused
          // every output is read back: no outputLocation was asked for
          const outputs = (await instance.run(inputs)) as Record<string, Tensor>;
          return structuredOutputs(outputs, c.structured);
        },
        release: () => instance.release(),
      };
    },
  };
}
