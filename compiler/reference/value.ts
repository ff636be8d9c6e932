import type { DType } from '../../runtime/dtype.js';
import { Tensor } from '../../runtime/tensor.js';

/** An ONNX sequence value (SequenceConstruct, SplitToSequence, Loop scan outputs of sequence type, ...). */
export class TensorSequence {
  constructor(
    /** Element dtype; known even when the sequence is empty. */
    readonly dtype: DType,
    readonly items: Tensor[],
  ) {}
}

/** An ONNX optional value: `value` undefined means "no element". */
export class OptionalValue {
  constructor(
    readonly value: Tensor | TensorSequence | undefined,
    /** Element type description, for an empty optional. */
    readonly elemDtype?: DType,
  ) {}
}

/** Anything a name can be bound to while a graph runs. */
export type Value = Tensor | TensorSequence | OptionalValue;

export function isTensor(v: Value | undefined): v is Tensor {
  return v instanceof Tensor;
}
