import type { Model } from '../compiler/ir/graph.js';
import { KilnError } from '../runtime/errors.js';

/** Static shapes for some graph inputs, by name (the WASM target compiles static shapes only). */
export type InputShapes = Record<string, number[]>;

/**
 * Give graph inputs static shapes in place: each named input must exist, and the shape must keep its
 * rank and its static dims. Stored value_info is dropped (shape inference recomputes it from the
 * inputs; stale entries would keep the symbolic dims).
 */
export function bindInputShapes(model: Model, shapes: InputShapes): void {
  for (const [name, shape] of Object.entries(shapes)) {
    const vi = model.graph.inputs.find((v) => v.name === name);
    if (!vi?.type) {
      throw new KilnError(`no graph input '${name}' to give a shape`, {
        expected: model.graph.inputs.map((v) => v.name).join(', '),
      });
    }
    const declared = vi.type.shape;
    if (declared) {
      const clash =
        declared.length !== shape.length || declared.some((d, i) => typeof d === 'number' && d !== shape[i]);
      if (clash) {
        throw new KilnError(`shape [${shape.join(',')}] does not fit input '${name}'`, {
          expected: `[${declared.join(',')}]`,
        });
      }
    }
    vi.type.shape = [...shape];
  }
  if (Object.keys(shapes).length > 0) model.graph.valueInfo.clear();
}

/** Parse `NAME=1x3x224x224` specs (the `--shape` option). */
export function parseInputShapes(specs: readonly string[]): InputShapes {
  const out: InputShapes = {};
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const dims =
      eq > 0
        ? spec
            .slice(eq + 1)
            .split('x')
            .map(Number)
        : [];
    if (eq <= 0 || dims.some((d) => !Number.isInteger(d) || d < 0) || spec.slice(eq + 1) === '') {
      throw new KilnError(`bad --shape '${spec}'`, { expected: 'NAME=DxDx…, e.g. input=1x3x224x224' });
    }
    out[spec.slice(0, eq)] = dims;
  }
  return out;
}
