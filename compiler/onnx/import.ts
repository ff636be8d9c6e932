import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { dtypeFromOnnx } from '../../runtime/dtype.js';
import { KilnError, asKilnError } from '../../runtime/errors.js';
import { Tensor, allocData, shapeSize } from '../../runtime/tensor.js';
import type { Attribute, Dim, FunctionDef, Graph, Model, Node, ValueInfo } from '../ir/graph.js';
import { normalizeDomain } from '../ir/graph.js';
import { type Int64Field, int64ToNumber } from './long.js';
import { type OnnxNs, onnx } from './proto.js';
import { type TensorReadOptions, decodeString, tensorFromProto } from './tensor-proto.js';

export interface ImportOptions {
  /** Folder for external data (defaults to the model file's folder, or the working directory). */
  baseDir?: string;
  /** File name, used in error messages. */
  file?: string;
}

/** Nesting limit for graph attributes; deeper files are refused rather than overflowing the stack. */
const MAX_GRAPH_DEPTH = 64;

/** Kiln densifies sparse tensors; larger dense sizes are refused (2^25 elements: 128 MiB of float32). */
const MAX_SPARSE_DENSE_ELEMENTS = 2 ** 25;

/** Read and import an ONNX model file. Every failure is a KilnError naming the file. */
export function loadModel(path: string): Model {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) throw new Error('it is a directory');
    bytes = readFileSync(path);
  } catch (err) {
    throw new KilnError(`cannot read model: ${(err as Error).message}`, {
      file: path,
      expected: 'an ONNX model file',
    });
  }
  return importModel(bytes, { baseDir: dirname(path), file: path });
}

export function decodeModelProto(bytes: Uint8Array, file?: string): OnnxNs.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new KilnError(`not a valid ONNX model (protobuf decoding failed: ${(err as Error).message})`, {
      file,
      expected: 'a serialized onnx.ModelProto',
    });
  }
}

export function importModel(bytes: Uint8Array, options: ImportOptions = {}): Model {
  const mp = decodeModelProto(bytes, options.file);
  try {
    checkUtf8(mp, 'model', options.file);
    return new Importer(options).model(mp);
  } catch (err) {
    if (err instanceof RangeError && /call stack/.test(err.message)) {
      throw new KilnError('model is nested too deeply', { file: options.file });
    }
    throw asKilnError(err, 'cannot import model', { file: options.file });
  }
}

/** A UTF-16 surrogate not part of a pair (in a `u` regex, pairs count as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * protobufjs decodes invalid UTF-8 in string fields (names, op types, domains) to lone surrogates,
 * which would not survive re-export (they encode as U+FFFD, renaming values). Refuse them, naming
 * the field. Byte fields (raw_data, string tensors, string attributes) are not affected.
 */
function checkUtf8(v: unknown, path: string, file: string | undefined): void {
  if (typeof v === 'string') {
    if (LONE_SURROGATE.test(v)) {
      throw new KilnError(`${path} is not valid UTF-8`, { file, expected: 'UTF-8 text in string fields' });
    }
    return;
  }
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'string' || (typeof x === 'object' && x !== null)) checkUtf8(x, `${path}[${i}]`, file);
    }
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' || (typeof x === 'object' && x !== null)) checkUtf8(x, `${path}.${k}`, file);
  }
}

/** Read a serialized TensorProto file (the ONNX test-data format, input_0.pb). */
export function readTensorProtoFile(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new KilnError(`cannot read tensor: ${(err as Error).message}`, { file: path });
  }
  return decodeTensorProto(bytes, { file: path, baseDir: dirname(path) });
}

export function decodeTensorProto(bytes: Uint8Array, opts: TensorReadOptions = {}): Tensor {
  let tp: OnnxNs.TensorProto;
  try {
    tp = onnx.TensorProto.decode(bytes);
  } catch (err) {
    throw new KilnError(`not a valid TensorProto (${(err as Error).message})`, {
      file: opts.file,
      expected: 'a serialized onnx.TensorProto',
    });
  }
  try {
    return tensorFromProto(tp, opts);
  } catch (err) {
    throw asKilnError(err, 'cannot read tensor', { file: opts.file });
  }
}

class Importer {
  private unknownDims = 0;
  private depth = 0;
  constructor(private readonly options: ImportOptions) {}

  private tensorOpts(owner?: string): TensorReadOptions {
    return { baseDir: this.options.baseDir, file: this.options.file, owner };
  }

  model(mp: OnnxNs.ModelProto): Model {
    if (!mp.graph) {
      throw new KilnError('model has no graph', { file: this.options.file, expected: 'ModelProto.graph' });
    }
    const opsetImports = new Map<string, number>();
    for (const o of mp.opsetImport ?? [])
      opsetImports.set(normalizeDomain(o.domain), int64ToNumber(o.version as Int64Field));
    if (opsetImports.size === 0) opsetImports.set('', 1); // IR < 3 models have no opset_import: opset 1
    const metadata: Record<string, string> = {};
    for (const e of mp.metadataProps ?? []) setOwn(metadata, e.key ?? '', e.value ?? '');
    return {
      irVersion: int64ToNumber(mp.irVersion as Int64Field),
      opsetImports,
      producerName: mp.producerName ?? '',
      producerVersion: mp.producerVersion ?? '',
      domain: mp.domain ?? '',
      modelVersion: int64ToNumber(mp.modelVersion as Int64Field),
      docString: mp.docString ?? '',
      metadata,
      functions: (mp.functions ?? []).map((f) => this.function(f)),
      graph: this.graph(mp.graph),
    };
  }

  function(f: OnnxNs.IFunctionProto): FunctionDef {
    const opsetImports = new Map<string, number>();
    for (const o of f.opsetImport ?? [])
      opsetImports.set(normalizeDomain(o.domain), int64ToNumber(o.version as Int64Field));
    return {
      name: f.name ?? '',
      domain: normalizeDomain(f.domain),
      inputs: [...(f.input ?? [])],
      outputs: [...(f.output ?? [])],
      attributes: [...(f.attribute ?? [])],
      nodes: (f.node ?? []).map((n, i) => this.node(n, i)),
      opsetImports,
      docString: f.docString ?? undefined,
    };
  }

  graph(gp: OnnxNs.IGraphProto): Graph {
    if (++this.depth > MAX_GRAPH_DEPTH) {
      throw new KilnError(`graph '${gp.name ?? ''}' is nested more than ${MAX_GRAPH_DEPTH} levels deep`, {
        file: this.options.file,
      });
    }
    const initializers = new Map<string, Tensor>();
    for (const tp of gp.initializer ?? []) {
      const name = tp.name ?? '';
      if (!name)
        throw new KilnError('an initializer has no name', { file: this.options.file, expected: 'a name' });
      initializers.set(name, tensorFromProto(tp, this.tensorOpts(`initializer '${name}'`)));
    }
    for (const sp of gp.sparseInitializer ?? []) {
      const name = sp.values?.name ?? '';
      if (!name) {
        throw new KilnError('a sparse initializer has no name', {
          file: this.options.file,
          expected: 'a name on its values tensor',
        });
      }
      initializers.set(name, this.sparse(sp));
    }
    const valueInfo = new Map<string, ValueInfo>();
    for (const vi of gp.valueInfo ?? []) {
      const v = this.valueInfo(vi);
      valueInfo.set(v.name, v);
    }
    const g: Graph = {
      name: gp.name ?? '',
      inputs: (gp.input ?? []).map((v) => this.valueInfo(v)),
      outputs: (gp.output ?? []).map((v) => this.valueInfo(v)),
      nodes: (gp.node ?? []).map((n, i) => this.node(n, i)),
      initializers,
      valueInfo,
      docString: gp.docString || undefined,
    };
    this.depth--;
    return g;
  }

  node(np: OnnxNs.INodeProto, index: number): Node {
    const op = np.opType ?? '';
    const name = np.name || `${op || 'node'}_${index}`;
    if (!op) throw new KilnError(`node ${index} has no op_type`, { file: this.options.file, node: name });
    const attrs: Record<string, Attribute> = {};
    for (const ap of np.attribute ?? []) {
      const an = ap.name ?? '';
      try {
        setOwn(attrs, an, this.attribute(ap));
      } catch (err) {
        throw asKilnError(err, `bad attribute '${an}'`, { file: this.options.file, node: name, op });
      }
    }
    return {
      name,
      op,
      domain: normalizeDomain(np.domain),
      inputs: [...(np.input ?? [])],
      outputs: [...(np.output ?? [])],
      attrs,
      docString: np.docString || undefined,
    };
  }

  attribute(ap: OnnxNs.IAttributeProto): Attribute {
    const T = onnx.AttributeProto.AttributeType;
    if (ap.refAttrName) return { type: 'ref', value: ap.refAttrName, refType: ap.type ?? 0 };
    let type = ap.type ?? T.UNDEFINED;
    if (type === T.UNDEFINED) type = guessAttributeType(ap);
    switch (type) {
      case T.FLOAT:
        return { type: 'float', value: ap.f ?? 0 };
      case T.INT:
        return { type: 'int', value: int64ToNumber(ap.i as Int64Field) };
      case T.STRING:
        return { type: 'string', value: decodeString(ap.s) };
      case T.TENSOR:
        if (!ap.t) throw new KilnError('tensor attribute without a tensor');
        return { type: 'tensor', value: tensorFromProto(ap.t, this.tensorOpts(`attribute '${ap.name}'`)) };
      case T.SPARSE_TENSOR:
        if (!ap.sparseTensor) throw new KilnError('sparse tensor attribute without a value');
        return { type: 'sparse_tensor', value: this.sparse(ap.sparseTensor) };
      case T.GRAPH:
        if (!ap.g) throw new KilnError('graph attribute without a graph');
        return { type: 'graph', value: this.graph(ap.g) };
      case T.FLOATS:
        return { type: 'floats', value: [...(ap.floats ?? [])] };
      case T.INTS:
        return { type: 'ints', value: (ap.ints ?? []).map((v) => int64ToNumber(v as Int64Field)) };
      case T.STRINGS:
        return { type: 'strings', value: (ap.strings ?? []).map(decodeString) };
      case T.TENSORS:
        return {
          type: 'tensors',
          value: (ap.tensors ?? []).map((t) => tensorFromProto(t, this.tensorOpts())),
        };
      case T.GRAPHS:
        return { type: 'graphs', value: (ap.graphs ?? []).map((g) => this.graph(g)) };
      case T.TYPE_PROTO:
        return { type: 'type_proto', value: this.valueInfo({ name: '', type: ap.tp }) };
      case T.TYPE_PROTOS:
        return {
          type: 'type_protos',
          value: (ap.typeProtos ?? []).map((tp) => this.valueInfo({ name: '', type: tp })),
        };
      default:
        throw new KilnError(`unknown attribute type ${type}`, {
          expected: 'an AttributeProto.AttributeType',
        });
    }
  }

  /** Sparse tensors are densified: Kiln computes on dense data. */
  sparse(sp: OnnxNs.ISparseTensorProto): Tensor {
    if (!sp.values || !sp.indices) throw new KilnError('sparse tensor without values or indices');
    const values = tensorFromProto(sp.values, this.tensorOpts('sparse values'));
    const indices = tensorFromProto(sp.indices, this.tensorOpts('sparse indices'));
    const dims = (sp.dims ?? []).map((d) => int64ToNumber(d as Int64Field));
    if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new KilnError(`sparse tensor has invalid dims [${dims}]`);
    const total = shapeSize(dims);
    // Densifying multiplies memory by dims / nnz: a few bytes of file could otherwise ask for gigabytes.
    if (total > MAX_SPARSE_DENSE_ELEMENTS) {
      throw new KilnError(`sparse tensor dims [${dims}] are too large to densify`, {
        expected: `at most ${MAX_SPARSE_DENSE_ELEMENTS} elements`,
      });
    }
    const out = allocData(values.dtype, total);
    const nnz = values.size;
    const idx = indices.data as ArrayLike<number | bigint>;
    const rank = dims.length;
    const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
    for (let k = 0; k < nnz; k++) {
      let flat: number;
      if (indices.rank === 1) flat = Number(idx[k]!);
      else {
        flat = 0;
        for (let j = 0; j < rank; j++) flat += Number(idx[k * rank + j]!) * strides[j]!;
      }
      if (!(flat >= 0 && flat < total))
        throw new KilnError(`sparse index ${flat} out of range for dims [${dims}]`);
      (out as unknown as unknown[])[flat] = (values.data as unknown as unknown[])[k];
    }
    return new Tensor(values.dtype, dims, out);
  }

  valueInfo(vi: OnnxNs.IValueInfoProto): ValueInfo {
    const v: ValueInfo = { name: vi.name ?? '' };
    if (vi.docString) v.docString = vi.docString;
    const tp = vi.type;
    if (!tp) return v;
    if (tp.tensorType) {
      v.kind = 'tensor';
      this.tensorTypeInto(v, tp.tensorType);
    } else if (tp.sparseTensorType) {
      v.kind = 'sparse_tensor';
      this.tensorTypeInto(v, tp.sparseTensorType);
    } else if (tp.sequenceType) v.kind = 'sequence';
    else if (tp.optionalType) v.kind = 'optional';
    else if (tp.mapType) v.kind = 'map';
    return v;
  }

  private tensorTypeInto(v: ValueInfo, tt: OnnxNs.TypeProto.ITensor): void {
    const dtype = dtypeFromOnnx(tt.elemType ?? 0);
    if (!dtype) return;
    v.type = { dtype };
    if (tt.shape) {
      v.type.shape = (tt.shape.dim ?? []).map((d): Dim => {
        if (d.dimParam) return d.dimParam;
        if (d.dimValue !== undefined && d.dimValue !== null) {
          const n = int64ToNumber(d.dimValue as Int64Field);
          if (Number.isSafeInteger(n) && n >= 0) return n;
        }
        return `?${this.unknownDims++}`;
      });
    }
  }
}

/** obj[key] = value as an own property, even for keys such as '__proto__' (which would otherwise be lost). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function guessAttributeType(ap: OnnxNs.IAttributeProto): number {
  const T = onnx.AttributeProto.AttributeType;
  if (ap.g) return T.GRAPH;
  if (ap.t) return T.TENSOR;
  if (ap.sparseTensor) return T.SPARSE_TENSOR;
  if (ap.floats?.length) return T.FLOATS;
  if (ap.ints?.length) return T.INTS;
  if (ap.strings?.length) return T.STRINGS;
  if (ap.tensors?.length) return T.TENSORS;
  if (ap.graphs?.length) return T.GRAPHS;
  if (ap.s?.length) return T.STRING;
  if (ap.f) return T.FLOAT;
  return T.INT;
}
