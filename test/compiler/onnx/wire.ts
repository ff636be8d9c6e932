/**
 * A minimal protobuf wire-format walker, independent of protobufjs and of Kiln's importer, used as
 * a second opinion on what an ONNX file holds (field counts, opset imports).
 */

export interface WireField {
  field: number;
  wireType: number;
  /** For length-delimited fields: the payload. */
  bytes?: Uint8Array;
  /** For varint fields: the value (exact, as bigint). */
  varint?: bigint;
}

function varint(b: Uint8Array, pos: { p: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.p >= b.length) throw new Error('truncated varint');
    const byte = b[pos.p++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return result;
    shift += 7n;
    if (shift > 70n) throw new Error('varint too long');
  }
}

/** The top-level fields of one message. */
export function wireFields(b: Uint8Array): WireField[] {
  const out: WireField[] = [];
  const pos = { p: 0 };
  while (pos.p < b.length) {
    const tag = Number(varint(b, pos));
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (wireType) {
      case 0:
        out.push({ field, wireType, varint: varint(b, pos) });
        break;
      case 1:
        pos.p += 8;
        out.push({ field, wireType });
        break;
      case 2: {
        const len = Number(varint(b, pos));
        out.push({ field, wireType, bytes: b.subarray(pos.p, pos.p + len) });
        pos.p += len;
        break;
      }
      case 5:
        pos.p += 4;
        out.push({ field, wireType });
        break;
      default:
        throw new Error(`wire type ${wireType} not expected in ONNX files`);
    }
  }
  return out;
}

export const countField = (fields: WireField[], n: number): number =>
  fields.filter((f) => f.field === n).length;

export interface WireSummary {
  irVersion: number;
  opsetImports: Map<string, number>;
  nodes: number;
  initializers: number;
  sparseInitializers: number;
  inputs: number;
  outputs: number;
  valueInfo: number;
}

const td = new TextDecoder();

/** ModelProto: ir_version = 1, opset_import = 8, graph = 7. GraphProto: node = 1, initializer = 5,
 * input = 11, output = 12, value_info = 13, sparse_initializer = 15. OperatorSetIdProto: domain = 1,
 * version = 2. */
export function summarizeModel(bytes: Uint8Array): WireSummary {
  const model = wireFields(bytes);
  const graphField = model.find((f) => f.field === 7);
  if (!graphField?.bytes) throw new Error('no graph');
  const graph = wireFields(graphField.bytes);
  const opsetImports = new Map<string, number>();
  for (const f of model.filter((x) => x.field === 8)) {
    const sub = wireFields(f.bytes!);
    const domain = td.decode(sub.find((x) => x.field === 1)?.bytes ?? new Uint8Array());
    opsetImports.set(
      domain === 'ai.onnx' ? '' : domain,
      Number(sub.find((x) => x.field === 2)?.varint ?? 0n),
    );
  }
  return {
    irVersion: Number(model.find((f) => f.field === 1)?.varint ?? 0n),
    opsetImports,
    nodes: countField(graph, 1),
    initializers: countField(graph, 5),
    sparseInitializers: countField(graph, 15),
    inputs: countField(graph, 11),
    outputs: countField(graph, 12),
    valueInfo: countField(graph, 13),
  };
}
