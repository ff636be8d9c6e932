/** Checked access to sequence/optional/tensor values for ops that run on any value kind. */
import { Tensor } from '../../../../runtime/tensor.js';
import type { Node, ValueInfo } from '../../../ir/graph.js';
import { OptionalValue, TensorSequence, type Value } from '../../value.js';
import { opError } from '../common.js';

export function kindOf(v: Value | undefined): string {
  if (v === undefined) return 'missing';
  if (v instanceof Tensor) return 'a tensor';
  if (v instanceof TensorSequence) return 'a sequence';
  return 'an optional';
}

export function seqArg(node: Node, v: Value | undefined, what: string): TensorSequence {
  if (!(v instanceof TensorSequence)) throw opError(node, `${what} is ${kindOf(v)}`, 'a sequence');
  return v;
}

export function tensorArg(node: Node, v: Value | undefined, what: string): Tensor {
  if (!(v instanceof Tensor)) throw opError(node, `${what} is ${kindOf(v)}`, 'a tensor');
  return v;
}

export function optionalArg(node: Node, v: Value | undefined, what: string): OptionalValue {
  if (!(v instanceof OptionalValue)) throw opError(node, `${what} is ${kindOf(v)}`, 'an optional');
  return v;
}

/** A one-element int32/int64 position tensor as a number. */
export function positionArg(node: Node, v: Value | undefined, what: string): number {
  const t = tensorArg(node, v, what);
  if ((t.dtype !== 'int32' && t.dtype !== 'int64') || t.size !== 1) {
    throw opError(node, `${what} is a ${t.dtype} tensor of ${t.size} elements`, 'an int32 or int64 scalar');
  }
  return Number(t.data[0]);
}

/**
 * A value as a body input declared with `declared`'s kind expects it: a tensor or sequence fed to an
 * optional-typed input is wrapped (Loop carries a sequence into an optional input from opset 16).
 */
export function asDeclared(v: Value, declared: ValueInfo): Value {
  return declared.kind === 'optional' && !(v instanceof OptionalValue) ? new OptionalValue(v) : v;
}
