/**
 * Kiln's public API. `InferenceSession` and `Tensor` are the runtime's onnxruntime-style API (also the
 * browser-safe entry `kiln/runtime`, runtime/index.ts); Kiln's internal tensor, which the compiler,
 * reference executor and .npy helpers take, is `KilnTensor` here.
 */
export { KilnError } from './runtime/errors.js';
export * from './runtime/index.js';
export { Tensor as KilnTensor, tensorFrom, zeros } from './runtime/tensor.js';
export type { DType } from './runtime/dtype.js';
export { parseNpy, serializeNpy } from './runtime/npy.js';
export type { Graph, Model, Node, ValueInfo, TypeInfo, Dim, Attribute } from './compiler/ir/graph.js';
export { loadModel, importModel, readTensorProtoFile, decodeTensorProto } from './compiler/onnx/import.js';
export { exportModel, saveModel } from './compiler/onnx/export.js';
export { inferShapes } from './compiler/ir/infer.js';
export { verifyModel, assertValid } from './compiler/ir/verify.js';
export { printModel } from './compiler/ir/print.js';
export { runPipeline, PASSES, DEFAULT_PIPELINE } from './compiler/passes/index.js';
export type { Pass, PassResult, PipelineOptions } from './compiler/passes/index.js';
export { GraphExecutor } from './compiler/reference/executor.js';
export { ReferenceSession } from './compiler/reference/session.js';
export { runConformance, findCases } from './compiler/conformance/runner.js';
