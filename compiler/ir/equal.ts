/**
 * Structural comparison of IR models and graphs: nodes, attributes (subgraphs included),
 * initializers (dtype, shape and the exact bits of the data), inputs, outputs and value_info.
 * Returns the differences as readable paths ("graph.nodes[3].attrs.then_branch.nodes[0].op: ..."),
 * so a test failure says where two graphs part ways; an empty list means equal.
 */
import type { Tensor } from '../../runtime/tensor.js';
import type { Attribute, FunctionDef, Graph, Model, Node, ValueInfo } from './graph.js';

export interface DiffOptions {
  /** Stop after this many differences (default 20). */
  limit?: number;
}

class Differ {
  readonly diffs: string[] = [];
  constructor(private readonly limit: number) {}

  get full(): boolean {
    return this.diffs.length >= this.limit;
  }

  add(path: string, a: unknown, b: unknown): void {
    if (!this.full) this.diffs.push(`${path}: ${show(a)} != ${show(b)}`);
  }

  /** Primitive equality with Object.is (so NaN equals NaN and 0 differs from -0). */
  same(path: string, a: unknown, b: unknown): void {
    if (!Object.is(a, b)) this.add(path, a, b);
  }

  list<T>(path: string, a: readonly T[], b: readonly T[], each: (p: string, x: T, y: T) => void): void {
    if (a.length !== b.length) this.add(`${path}.length`, a.length, b.length);
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n && !this.full; i++) each(`${path}[${i}]`, a[i]!, b[i]!);
  }

  record<T>(
    path: string,
    a: ReadonlyMap<string, T>,
    b: ReadonlyMap<string, T>,
    each: (p: string, x: T, y: T) => void,
    ordered = true,
  ): void {
    const ka = [...a.keys()];
    const kb = [...b.keys()];
    const missing = ka.filter((k) => !b.has(k));
    const extra = kb.filter((k) => !a.has(k));
    if (missing.length) this.add(`${path} keys only in the first`, missing, []);
    if (extra.length) this.add(`${path} keys only in the second`, [], extra);
    if (ordered && !missing.length && !extra.length && ka.join('\0') !== kb.join('\0')) {
      this.add(`${path} key order`, ka, kb);
    }
    for (const k of ka) {
      if (this.full) return;
      if (b.has(k)) each(`${path}[${JSON.stringify(k)}]`, a.get(k)!, b.get(k)!);
    }
  }

  model(p: string, a: Model, b: Model): void {
    this.same(`${p}.irVersion`, a.irVersion, b.irVersion);
    this.record(`${p}.opsetImports`, a.opsetImports, b.opsetImports, (q, x, y) => this.same(q, x, y), false);
    this.same(`${p}.producerName`, a.producerName, b.producerName);
    this.same(`${p}.producerVersion`, a.producerVersion, b.producerVersion);
    this.same(`${p}.domain`, a.domain, b.domain);
    this.same(`${p}.modelVersion`, a.modelVersion, b.modelVersion);
    this.same(`${p}.docString`, a.docString, b.docString);
    this.record(
      `${p}.metadata`,
      new Map(Object.entries(a.metadata)),
      new Map(Object.entries(b.metadata)),
      (q, x, y) => this.same(q, x, y),
      false,
    );
    this.list(`${p}.functions`, a.functions, b.functions, (q, x, y) => this.function(q, x, y));
    this.graph(`${p}.graph`, a.graph, b.graph);
  }

  function(p: string, a: FunctionDef, b: FunctionDef): void {
    this.same(`${p}.name`, a.name, b.name);
    this.same(`${p}.domain`, a.domain, b.domain);
    this.strings(`${p}.inputs`, a.inputs, b.inputs);
    this.strings(`${p}.outputs`, a.outputs, b.outputs);
    this.strings(`${p}.attributes`, a.attributes, b.attributes);
    this.record(`${p}.opsetImports`, a.opsetImports, b.opsetImports, (q, x, y) => this.same(q, x, y), false);
    this.same(`${p}.docString`, a.docString, b.docString);
    this.list(`${p}.nodes`, a.nodes, b.nodes, (q, x, y) => this.node(q, x, y));
  }

  graph(p: string, a: Graph, b: Graph): void {
    this.same(`${p}.name`, a.name, b.name);
    this.same(`${p}.docString`, a.docString, b.docString);
    this.list(`${p}.inputs`, a.inputs, b.inputs, (q, x, y) => this.valueInfo(q, x, y));
    this.list(`${p}.outputs`, a.outputs, b.outputs, (q, x, y) => this.valueInfo(q, x, y));
    this.record(`${p}.valueInfo`, a.valueInfo, b.valueInfo, (q, x, y) => this.valueInfo(q, x, y));
    this.record(`${p}.initializers`, a.initializers, b.initializers, (q, x, y) => this.tensor(q, x, y));
    this.list(`${p}.nodes`, a.nodes, b.nodes, (q, x, y) => this.node(q, x, y));
  }

  node(p: string, a: Node, b: Node): void {
    const at = `${p}(${a.name})`;
    this.same(`${at}.name`, a.name, b.name);
    this.same(`${at}.op`, a.op, b.op);
    this.same(`${at}.domain`, a.domain, b.domain);
    this.strings(`${at}.inputs`, a.inputs, b.inputs);
    this.strings(`${at}.outputs`, a.outputs, b.outputs);
    this.same(`${at}.docString`, a.docString, b.docString);
    this.record(
      `${at}.attrs`,
      new Map(Object.entries(a.attrs)),
      new Map(Object.entries(b.attrs)),
      (q, x, y) => this.attribute(q, x, y),
      false,
    );
  }

  attribute(p: string, a: Attribute, b: Attribute): void {
    if (a.type !== b.type) return this.add(`${p}.type`, a.type, b.type);
    switch (a.type) {
      case 'float':
      case 'int':
      case 'string':
        return this.same(p, a.value, b.value);
      case 'floats':
      case 'ints':
      case 'strings':
        return this.list(p, a.value as unknown[], b.value as unknown[], (q, x, y) => this.same(q, x, y));
      case 'tensor':
      case 'sparse_tensor':
        return this.tensor(p, a.value, b.value as Tensor);
      case 'tensors':
        return this.list(p, a.value, b.value as Tensor[], (q, x, y) => this.tensor(q, x, y));
      case 'graph':
        return this.graph(p, a.value, b.value as Graph);
      case 'graphs':
        return this.list(p, a.value, b.value as Graph[], (q, x, y) => this.graph(q, x, y));
      case 'type_proto':
        return this.valueInfo(p, a.value, b.value as ValueInfo);
      case 'type_protos':
        return this.list(p, a.value, b.value as ValueInfo[], (q, x, y) => this.valueInfo(q, x, y));
      case 'ref': {
        const r = b as typeof a;
        this.same(`${p}.value`, a.value, r.value);
        return this.same(`${p}.refType`, a.refType, r.refType);
      }
    }
  }

  valueInfo(p: string, a: ValueInfo, b: ValueInfo): void {
    this.same(`${p}.name`, a.name, b.name);
    this.same(`${p}.kind`, a.kind, b.kind);
    this.same(`${p}.docString`, a.docString, b.docString);
    if (!a.type || !b.type) return this.same(`${p}.type`, a.type, b.type);
    this.same(`${p}.type.dtype`, a.type.dtype, b.type.dtype);
    if (!a.type.shape || !b.type.shape) return this.same(`${p}.type.shape`, a.type.shape, b.type.shape);
    this.list(`${p}.type.shape`, a.type.shape, b.type.shape, (q, x, y) => this.same(q, x, y));
  }

  tensor(p: string, a: Tensor, b: Tensor): void {
    this.same(`${p}.dtype`, a.dtype, b.dtype);
    this.list(`${p}.shape`, a.shape, b.shape, (q, x, y) => this.same(q, x, y));
    if (a.data.constructor !== b.data.constructor) {
      return this.add(`${p}.data type`, a.data.constructor.name, b.data.constructor.name);
    }
    if (a.data.length !== b.data.length) return this.add(`${p}.data.length`, a.data.length, b.data.length);
    if (Array.isArray(a.data)) {
      return this.list(p, a.data, b.data as string[], (q, x, y) => this.same(q, x, y));
    }
    // Compare bits, so NaN payloads and -0 count.
    const ba = bytesOf(a.data);
    const bb = bytesOf(b.data as typeof a.data);
    for (let i = 0; i < ba.length; i++) {
      if (ba[i] !== bb[i]) {
        const el = Math.floor(i / a.data.BYTES_PER_ELEMENT);
        return this.add(`${p}.data[${el}]`, a.data[el], b.data[el]);
      }
    }
  }

  strings(p: string, a: readonly string[], b: readonly string[]): void {
    this.list(p, a, b, (q, x, y) => this.same(q, x, y));
  }
}

function bytesOf(d: Exclude<Tensor['data'], string[]>): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (Object.is(v, -0)) return '-0';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return String(v);
  try {
    const s = JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(v);
  }
}

export function modelDiff(a: Model, b: Model, options: DiffOptions = {}): string[] {
  const d = new Differ(options.limit ?? 20);
  d.model('model', a, b);
  return d.diffs;
}

export function graphDiff(a: Graph, b: Graph, options: DiffOptions = {}): string[] {
  const d = new Differ(options.limit ?? 20);
  d.graph('graph', a, b);
  return d.diffs;
}

export function graphsEqual(a: Graph, b: Graph): boolean {
  return graphDiff(a, b, { limit: 1 }).length === 0;
}

export function modelsEqual(a: Model, b: Model): boolean {
  return modelDiff(a, b, { limit: 1 }).length === 0;
}
