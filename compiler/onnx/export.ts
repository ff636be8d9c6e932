import { writeFileSync } from 'node:fs';
import { dtypeToOnnx } from '../../runtime/dtype.js';
import { KilnError } from '../../runtime/errors.js';
import { Tensor } from '../../runtime/tensor.js';
import type { Attribute, FunctionDef, Graph, Model, Node, ValueInfo } from '../ir/graph.js';
import { numberToInt64 } from './long.js';
import { type OnnxNs, onnx } from './proto.js';
import { tensorToProto } from './tensor-proto.js';

const utf8 = new TextEncoder();
const T = onnx.AttributeProto.AttributeType;

/** Serialize a Model to ONNX bytes (weights inline as raw_data). */
export function exportModel(model: Model): Uint8Array {
  const mp = onnx.ModelProto.create({
    irVersion: numberToInt64(model.irVersion) as never,
    opsetImport: [...model.opsetImports].map(([domain, version]) => ({
      domain,
      version: numberToInt64(version) as never,
    })),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: numberToInt64(model.modelVersion) as never,
    docString: model.docString,
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
    functions: model.functions.map(functionToProto),
    graph: graphToProto(model.graph),
  });
  return onnx.ModelProto.encode(mp).finish();
}

export function saveModel(model: Model, path: string): void {
  try {
    writeFileSync(path, exportModel(model));
  } catch (err) {
    throw new KilnError(`cannot write model: ${(err as Error).message}`, { file: path });
  }
}

export function graphToProto(g: Graph): OnnxNs.IGraphProto {
  return {
    name: g.name,
    docString: g.docString ?? '',
    input: g.inputs.map(valueInfoToProto),
    output: g.outputs.map(valueInfoToProto),
    valueInfo: [...g.valueInfo.values()].map(valueInfoToProto),
    initializer: [...g.initializers].map(([name, t]) => tensorToProto(t, name)),
    node: g.nodes.map(nodeToProto),
  };
}

function functionToProto(f: FunctionDef): OnnxNs.IFunctionProto {
  return {
    name: f.name,
    domain: f.domain,
    input: f.inputs,
    output: f.outputs,
    attribute: f.attributes,
    node: f.nodes.map(nodeToProto),
    opsetImport: [...f.opsetImports].map(([domain, version]) => ({
      domain,
      version: numberToInt64(version) as never,
    })),
    docString: f.docString ?? '',
  };
}

function nodeToProto(n: Node): OnnxNs.INodeProto {
  return {
    name: n.name,
    opType: n.op,
    domain: n.domain,
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attrs).map(([name, a]) => attributeToProto(name, a)),
    docString: n.docString ?? '',
  };
}

function attributeToProto(name: string, a: Attribute): OnnxNs.IAttributeProto {
  switch (a.type) {
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'int':
      return { name, type: T.INT, i: numberToInt64(a.value) as never };
    case 'string':
      return { name, type: T.STRING, s: utf8.encode(a.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorToProto(a.value) };
    case 'sparse_tensor': {
      // Written back dense-as-sparse: all elements with linear indices (Kiln densifies on import).
      const n = a.value.size;
      const idx = new Tensor(
        'int64',
        [n],
        new BigInt64Array(n).map((_, i) => BigInt(i)),
      );
      return {
        name,
        type: T.SPARSE_TENSOR,
        sparseTensor: {
          dims: a.value.shape.map((d) => numberToInt64(d)) as never,
          values: tensorToProto(new Tensor(a.value.dtype, [n], a.value.data)),
          indices: tensorToProto(idx),
        },
      };
    }
    case 'graph':
      return { name, type: T.GRAPH, g: graphToProto(a.value) };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value.map((v) => numberToInt64(v)) as never };
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map((s) => utf8.encode(s)) };
    case 'tensors':
      return { name, type: T.TENSORS, tensors: a.value.map((t) => tensorToProto(t)) };
    case 'graphs':
      return { name, type: T.GRAPHS, graphs: a.value.map(graphToProto) };
    case 'type_proto':
      return { name, type: T.TYPE_PROTO, tp: typeToProto(a.value) };
    case 'type_protos':
      return { name, type: T.TYPE_PROTOS, typeProtos: a.value.map((v) => typeToProto(v) ?? {}) };
    case 'ref':
      return { name, type: a.refType, refAttrName: a.value };
  }
}

function valueInfoToProto(v: ValueInfo): OnnxNs.IValueInfoProto {
  const out: OnnxNs.IValueInfoProto = { name: v.name };
  if (v.docString) out.docString = v.docString;
  const type = typeToProto(v);
  if (type) out.type = type;
  return out;
}

function typeToProto(v: ValueInfo): OnnxNs.ITypeProto | undefined {
  if (v.kind === 'sequence') return { sequenceType: {} };
  if (v.kind === 'optional') return { optionalType: {} };
  if (v.kind === 'map') return { mapType: {} };
  // A tensor whose element type is unknown (elem_type 0 or a code Kiln does not know) stays a tensor.
  if (!v.type)
    return v.kind === 'tensor'
      ? { tensorType: {} }
      : v.kind === 'sparse_tensor'
        ? { sparseTensorType: {} }
        : undefined;
  const tensor: OnnxNs.TypeProto.ITensor = { elemType: dtypeToOnnx(v.type.dtype) };
  if (v.type.shape) {
    tensor.shape = {
      dim: v.type.shape.map((d) =>
        typeof d === 'number'
          ? { dimValue: numberToInt64(d) as never }
          : d.startsWith('?')
            ? {}
            : { dimParam: d },
      ),
    };
  }
  return v.kind === 'sparse_tensor' ? { sparseTensorType: tensor } : { tensorType: tensor };
}
