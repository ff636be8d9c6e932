import type { DType } from '../../runtime/dtype.js';
import type { Tensor } from '../../runtime/tensor.js';

/** A dimension: a known size, or a symbol such as 'batch' (ONNX dim_param). */
export type Dim = number | string;

/** What is known of a value's type. `shape` undefined means the rank is unknown. */
export interface TypeInfo {
  dtype: DType;
  shape?: Dim[];
}

/**
 * A named value. `type` is undefined when nothing is known (not even the dtype). `kind` records
 * non-tensor ONNX types (sequence/optional/map) that Kiln carries but does not compute on.
 */
export interface ValueInfo {
  name: string;
  type?: TypeInfo;
  kind?: 'tensor' | 'sequence' | 'optional' | 'map' | 'sparse_tensor';
  docString?: string;
}

export type Attribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'sparse_tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: Tensor[] }
  | { type: 'graphs'; value: Graph[] }
  | { type: 'type_proto'; value: ValueInfo }
  | { type: 'type_protos'; value: ValueInfo[] }
  /** Inside a function body: the attribute takes the value of the caller's attribute of this name. */
  | { type: 'ref'; value: string; refType: number };

export type AttributeType = Attribute['type'];

export interface Node {
  name: string;
  op: string;
  /** '' is the default ONNX domain ('ai.onnx'). */
  domain: string;
  /** '' marks an omitted optional input or output. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attribute>;
  docString?: string;
}

export interface Graph {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: Node[];
  initializers: Map<string, Tensor>;
  /** Types of intermediate values (ONNX value_info, plus whatever inference adds). */
  valueInfo: Map<string, ValueInfo>;
  docString?: string;
}

export interface FunctionDef {
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: string[];
  nodes: Node[];
  opsetImports: Map<string, number>;
  docString?: string;
}

export interface Model {
  irVersion: number;
  /** Domain ('' for ai.onnx) → opset version. */
  opsetImports: Map<string, number>;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  metadata: Record<string, string>;
  functions: FunctionDef[];
  graph: Graph;
}

export function normalizeDomain(domain: string | undefined | null): string {
  return !domain || domain === 'ai.onnx' ? '' : domain;
}

export function emptyGraph(name = 'main'): Graph {
  return { name, inputs: [], outputs: [], nodes: [], initializers: new Map(), valueInfo: new Map() };
}
