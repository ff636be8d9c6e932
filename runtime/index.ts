/**
 * Kiln's runtime entry (`kiln/runtime`): runs compiled .kiln artifacts with onnxruntime-web's API.
 * Browser-safe: it imports no Node built-in and nothing from compiler/ (a test bundles it for the
 * browser to keep it so).
 */
export { InferenceSession } from './inference-session.js';
export type { InferenceSessionOptions, ValueMetadata } from './inference-session.js';
export { Tensor, TENSOR_TYPES } from './ort-tensor.js';
export type { TensorType, TensorDataType, DataLocation, GpuBufferTensorOptions } from './ort-tensor.js';
export type { TensorLike } from './tensor-interop.js';
export type { ArtifactSource } from './artifact-source.js';
export { registerSessionTarget } from './session-targets.js';
export type { TargetSession, TargetSessionFactory, TargetSessionOptions } from './session-targets.js';
export { KilnError } from './errors.js';
export { WasmSession } from './wasm/session.js';
