/**
 * SequenceProto and OptionalProto (onnx-data.proto), which onnx-proto's 1.10 schema lacks. The ONNX
 * backend tests store sequence and optional inputs/outputs in these; we decode them field by field.
 */
import { createRequire } from 'node:module';
import { KilnError } from '../../runtime/errors.js';
import type { Tensor } from '../../runtime/tensor.js';
import { OptionalValue, TensorSequence, type Value } from '../reference/value.js';
import { onnx } from './proto.js';
import { type TensorReadOptions, tensorFromProto } from './tensor-proto.js';

const require = createRequire(import.meta.url);
const { Reader } = require('protobufjs/minimal') as typeof import('protobufjs');

interface Fields {
  elemType: number;
  tensors: Uint8Array[];
  sequences: Uint8Array[];
  optionals: Uint8Array[];
}

const ELEM = { TENSOR: 1, SEQUENCE: 3, OPTIONAL: 5 } as const;

function readFields(bytes: Uint8Array): Fields {
  const r = Reader.create(bytes);
  const f: Fields = { elemType: 0, tensors: [], sequences: [], optionals: [] };
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 2) f.elemType = r.int32();
    else if (field === 3) f.tensors.push(r.bytes());
    else if (field === 5) f.sequences.push(r.bytes());
    else if (field === 7) f.optionals.push(r.bytes());
    else r.skipType(tag & 7);
  }
  return f;
}

function tensor(bytes: Uint8Array, opts: TensorReadOptions): Tensor {
  return tensorFromProto(onnx.TensorProto.decode(bytes), opts);
}

export function decodeSequenceProto(bytes: Uint8Array, opts: TensorReadOptions = {}): TensorSequence {
  try {
    const f = readFields(bytes);
    if (f.elemType !== ELEM.TENSOR && f.elemType !== 0) {
      throw new KilnError(`sequences of element type ${f.elemType} are not supported`, {
        expected: 'tensor elements',
      });
    }
    const items = f.tensors.map((b) => tensor(b, opts));
    return new TensorSequence(items[0]?.dtype ?? 'float32', items);
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError(`not a valid SequenceProto (${(err as Error).message})`, { file: opts.file });
  }
}

export function decodeOptionalProto(bytes: Uint8Array, opts: TensorReadOptions = {}): OptionalValue {
  try {
    const f = readFields(bytes);
    if (f.elemType === ELEM.TENSOR && f.tensors[0]) return new OptionalValue(tensor(f.tensors[0], opts));
    if (f.elemType === ELEM.SEQUENCE && f.sequences[0])
      return new OptionalValue(decodeSequenceProto(f.sequences[0], opts));
    return new OptionalValue(undefined);
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError(`not a valid OptionalProto (${(err as Error).message})`, { file: opts.file });
  }
}

/** Decode a test-data file given the kind of value the graph declares for it. */
export function decodeValue(
  bytes: Uint8Array,
  kind: string | undefined,
  opts: TensorReadOptions = {},
): Value {
  if (kind === 'sequence') return decodeSequenceProto(bytes, opts);
  if (kind === 'optional') return decodeOptionalProto(bytes, opts);
  try {
    return tensor(bytes, opts);
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError(`not a valid TensorProto (${(err as Error).message})`, { file: opts.file });
  }
}
