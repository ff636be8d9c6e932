import type { Dim, Graph, Node, TypeInfo } from '../ir/graph.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { Value } from './value.js';

/** What an op implementation sees when it runs. */
export interface RunContext {
  node: Node;
  /** The opset version the model imports for the node's domain (drives version-specific semantics). */
  opset: number;
  /**
   * Run a subgraph (If/Loop/Scan body). `feeds` binds the subgraph's formal inputs by name; values of
   * the enclosing scopes are visible to the body as ONNX requires. Returns the body outputs in order.
   */
  runSubgraph(graph: Graph, feeds: Map<string, Value>): Value[];
}

/** Inputs are positional; an omitted optional input is undefined. Return one entry per node output. */
export type RunFn = (inputs: (Tensor | undefined)[], ctx: RunContext) => (Tensor | undefined)[];

export interface InferContext {
  node: Node;
  opset: number;
  /** Type of each input; undefined for an omitted optional input or an unknown type. */
  inputs: (TypeInfo | undefined)[];
  /** Value of each input where it is known at compile time (initializers, folded constants). */
  constants: (Tensor | undefined)[];
  /** A new symbolic dimension name, for sizes that depend on data (e.g. NonZero) or cannot be expressed. */
  freshDim(): string;
  /** Infer a subgraph's output types given its input types (If/Loop/Scan). */
  inferSubgraph(graph: Graph, inputs: (TypeInfo | undefined)[]): (TypeInfo | undefined)[];
}

/**
 * Types of each node output (undefined where nothing can be said). Throw KilnError for inputs the op
 * can never accept (wrong rank, mismatched dims); the engine adds the node and op to the message.
 */
export type InferFn = (ctx: InferContext) => (TypeInfo | undefined)[];

/** For ops that take or produce sequences/optionals (SequenceInsert, Optional, Loop, ...). */
export type RunValuesFn = (inputs: (Value | undefined)[], ctx: RunContext) => (Value | undefined)[];

export interface OpDef {
  op: string;
  /** '' for the default ONNX domain. */
  domain?: string;
  /** Opset versions whose semantics this implementation follows (documented in docs/ops.md). */
  versions: [number, number];
  /** Tensor-only implementation; the executor rejects sequence/optional inputs with a clear error. */
  run?: RunFn;
  /** Implementation over any values; used instead of `run` when present. */
  runValues?: RunValuesFn;
  infer: InferFn;
}

export type { Dim, TypeInfo };
