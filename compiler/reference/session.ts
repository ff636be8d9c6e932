import { KilnError } from '../../runtime/errors.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { Dim, Model, ValueInfo } from '../ir/graph.js';
import { formatType, inferShapes } from '../ir/infer.js';
import { assertValid } from '../ir/verify.js';
import { importModel, loadModel } from '../onnx/import.js';
import { GraphExecutor } from './executor.js';
import { type Value, isTensor } from './value.js';

/**
 * The reference backend behind an onnxruntime-like API: `create` a session, `run(feeds)` → outputs.
 * Feeds are checked against the model's declared inputs so mistakes fail with a clear message.
 */
export class ReferenceSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  private readonly executor: GraphExecutor;

  private constructor(
    readonly model: Model,
    private readonly file?: string,
  ) {
    assertValid(model, file);
    inferShapes(model, { file });
    const g = model.graph;
    this.inputNames = g.inputs.filter((v) => !g.initializers.has(v.name)).map((v) => v.name);
    this.outputNames = g.outputs.map((v) => v.name);
    this.executor = GraphExecutor.forModel(model);
  }

  static create(source: string | Uint8Array | Model): ReferenceSession {
    if (typeof source === 'string') return new ReferenceSession(loadModel(source), source);
    if (source instanceof Uint8Array) return new ReferenceSession(importModel(source));
    return new ReferenceSession(source);
  }

  get inputs(): ValueInfo[] {
    return this.model.graph.inputs.filter((v) => this.inputNames.includes(v.name));
  }

  run(feeds: Record<string, Value>, outputNames: string[] = this.outputNames): Record<string, Value> {
    const bound = this.checkFeeds(feeds);
    for (const name of outputNames) {
      if (!this.outputNames.includes(name)) {
        throw new KilnError(`unknown output '${name}'`, {
          file: this.file,
          expected: `one of ${this.outputNames.join(', ')}`,
        });
      }
    }
    const results = this.executor.run(this.model.graph, bound);
    return Object.fromEntries(outputNames.map((n) => [n, results.get(n)!]));
  }

  private checkFeeds(feeds: Record<string, Value>): Map<string, Value> {
    const g = this.model.graph;
    const bound = new Map<string, Value>();
    const symbols = new Map<string, number>();
    for (const name of Object.keys(feeds)) {
      if (!g.inputs.some((v) => v.name === name)) {
        throw new KilnError(`unknown input '${name}'`, {
          file: this.file,
          expected: `one of ${this.inputNames.join(', ')}`,
        });
      }
    }
    for (const vi of g.inputs) {
      const v = feeds[vi.name];
      if (v === undefined) {
        if (g.initializers.has(vi.name)) continue;
        throw new KilnError(`missing input '${vi.name}'`, {
          file: this.file,
          expected: `a ${formatType(vi.type)} tensor`,
        });
      }
      if (isTensor(v) && vi.type) checkTensor(vi.name, v, vi.type.dtype, vi.type.shape, symbols, this.file);
      bound.set(vi.name, v);
    }
    return bound;
  }
}

function checkTensor(
  name: string,
  t: Tensor,
  dtype: string,
  shape: Dim[] | undefined,
  symbols: Map<string, number>,
  file?: string,
): void {
  const want = `${dtype}[${shape?.join(',') ?? '...'}]`;
  if (t.dtype !== dtype) {
    throw new KilnError(`input '${name}' has dtype ${t.dtype}`, { file, expected: want });
  }
  if (!shape) return;
  if (t.shape.length !== shape.length) {
    throw new KilnError(`input '${name}' has shape [${t.shape.join(',')}] (rank ${t.shape.length})`, {
      file,
      expected: want,
    });
  }
  shape.forEach((d, i) => {
    const got = t.shape[i]!;
    if (typeof d === 'number') {
      if (d !== got)
        throw new KilnError(`input '${name}' has shape [${t.shape.join(',')}]`, { file, expected: want });
    } else if (!d.startsWith('?')) {
      const prev = symbols.get(d);
      if (prev !== undefined && prev !== got) {
        throw new KilnError(
          `input '${name}' dimension ${i} ('${d}') is ${got} but another input set '${d}' to ${prev}`,
          {
            file,
            expected: `'${d}' = ${prev} in every input`,
          },
        );
      }
      symbols.set(d, got);
    }
  });
}
