import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModel } from '../../../compiler/onnx/export.js';
import {
  decodeTensorProto,
  importModel,
  loadModel,
  readTensorProtoFile,
} from '../../../compiler/onnx/import.js';
import { onnx } from '../../../compiler/onnx/proto.js';
import type { Model, ValueInfo } from '../../../compiler/ir/graph.js';
import type { DType } from '../../../runtime/dtype.js';
import { KilnError } from '../../../runtime/errors.js';
import { Tensor } from '../../../runtime/tensor.js';
import { hasTorchModels, npmModels, sharedDir, torchModels } from './models.js';
import { summarizeModel } from './wire.js';

function expectKiln(fn: () => unknown, pattern: RegExp): KilnError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a KilnError').toBeInstanceOf(KilnError);
  expect((caught as KilnError).message).toMatch(pattern);
  return caught as KilnError;
}

/** Graph inputs that are not initializers: what onnxruntime reports as the model's inputs. */
function realInputs(m: Model): ValueInfo[] {
  return m.graph.inputs.filter((v) => !m.graph.initializers.has(v.name));
}

/** Kiln's view of a value against onnxruntime's metadata (same dtype names; same shape incl. symbols). */
function expectSameMetadata(v: ValueInfo, meta: ort.InferenceSession.ValueMetadata, what: string): void {
  expect(v.name, what).toBe(meta.name);
  expect(meta.isTensor, what).toBe(true);
  if (!meta.isTensor) return;
  expect(v.type?.dtype, what).toBe(meta.type);
  expect(v.type?.shape, what).toEqual([...meta.shape]);
}

/** Node counts per model from shared/models/README.md's table (PyTorch's exporter output). */
function readmeNodeCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  const readme = join(sharedDir, 'models/README.md');
  if (!existsSync(readme)) return counts;
  for (const m of readFileSync(readme, 'utf8').matchAll(/^\| (\w+) \| (\d+) \|/gm))
    counts.set(m[1]!, Number(m[2]));
  return counts;
}

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});
async function session(file: string | Uint8Array): Promise<ort.InferenceSession> {
  const s =
    typeof file === 'string'
      ? await ort.InferenceSession.create(file)
      : await ort.InferenceSession.create(file);
  sessions.push(s);
  return s;
}

describe.skipIf(!hasTorchModels)(`torch models in ${sharedDir}/models/torch`, () => {
  const nodeCounts = readmeNodeCounts();
  const models = torchModels();

  it('are all there', () => {
    expect(models.map((m) => m.name)).toEqual(
      expect.arrayContaining(['resnet18', 'lstm', 'mlp', 'transformer_encoder']),
    );
  });

  for (const tm of models) {
    describe(tm.name, () => {
      let model: Model;
      beforeAll(() => {
        model = loadModel(tm.file);
      });

      it('inputs and outputs match onnxruntime (names, dtypes, shapes)', async () => {
        const s = await session(tm.file);
        const inputs = realInputs(model);
        expect(inputs.map((v) => v.name)).toEqual([...s.inputNames]);
        expect(model.graph.outputs.map((v) => v.name)).toEqual([...s.outputNames]);
        inputs.forEach((v, i) => expectSameMetadata(v, s.inputMetadata[i]!, `input ${v.name}`));
        model.graph.outputs.forEach((v, i) =>
          expectSameMetadata(v, s.outputMetadata[i]!, `output ${v.name}`),
        );
      });

      it('node, initializer and opset counts match the file (raw wire walk) and the corpus README', () => {
        const wire = summarizeModel(readFileSync(tm.file));
        expect(model.graph.nodes.length).toBe(wire.nodes);
        expect(model.graph.initializers.size).toBe(wire.initializers + wire.sparseInitializers);
        expect(model.graph.inputs.length).toBe(wire.inputs);
        expect(model.graph.outputs.length).toBe(wire.outputs);
        expect(model.graph.valueInfo.size).toBe(wire.valueInfo);
        expect(model.opsetImports).toEqual(wire.opsetImports);
        expect(model.irVersion).toBe(wire.irVersion);
        // README: "batch 1, opset 17, ONNX IR 8", exported by PyTorch 1.13.
        expect(model.opsetImports).toEqual(new Map([['', 17]]));
        expect(model.irVersion).toBe(8);
        expect(model.producerName).toBe('pytorch');
        if (nodeCounts.has(tm.name)) expect(model.graph.nodes.length).toBe(nodeCounts.get(tm.name));
      });

      it('initializers have the dtype, shape and data size their TensorProto declares', () => {
        const mp = onnx.ModelProto.decode(readFileSync(tm.file));
        for (const tp of mp.graph!.initializer!) {
          const t = model.graph.initializers.get(tp.name!);
          expect(t, tp.name!).toBeInstanceOf(Tensor);
          expect(t!.shape).toEqual(tp.dims!.map(Number));
          expect(t!.size).toBe(tp.dims!.map(Number).reduce((a, b) => a * b, 1));
          const want: Record<number, DType> = { 1: 'float32', 7: 'int64' };
          expect(t!.dtype).toBe(want[tp.dataType!]);
          if (tp.rawData?.length && t!.dtype === 'float32') {
            // Spot-check the values against the raw little-endian bytes.
            const dv = new DataView(tp.rawData.buffer, tp.rawData.byteOffset, tp.rawData.byteLength);
            for (const i of [0, t!.size >> 1, t!.size - 1])
              expect(t!.data[i]).toBe(dv.getFloat32(i * 4, true));
          }
        }
      });

      it('test_data_set_0 decodes to the declared input, and onnxruntime fed with it reproduces output_0.pb', async () => {
        const input = readTensorProtoFile(join(tm.dataDir, 'input_0.pb'));
        const decl = realInputs(model)[0]!;
        expect(input.dtype).toBe(decl.type!.dtype);
        expect(input.shape).toEqual(decl.type!.shape);
        const expected = readTensorProtoFile(join(tm.dataDir, 'output_0.pb'));
        expect(expected.shape).toEqual(model.graph.outputs[0]!.type!.shape);
        const s = await session(tm.file);
        const out = await s.run({
          [decl.name]: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]),
        });
        const got = out[s.outputNames[0]!]!.data as Float32Array;
        expect(got.length).toBe(expected.size);
        // PyTorch vs onnxruntime: same math, different kernels; a wrong decode would be far off.
        let maxErr = 0;
        let maxRef = 0;
        for (let i = 0; i < got.length; i++) {
          maxErr = Math.max(maxErr, Math.abs(got[i]! - (expected.data[i] as number)));
          maxRef = Math.max(maxRef, Math.abs(expected.data[i] as number));
        }
        expect(maxErr).toBeLessThanOrEqual(1e-3 * Math.max(1, maxRef));
      });
    });
  }
});

describe('npm models', () => {
  for (const nm of npmModels()) {
    it.skipIf(!nm.present)(
      `${nm.name}: inputs/outputs and counts match onnxruntime and the file`,
      async () => {
        const model = loadModel(nm.file);
        const s = await session(nm.file);
        const inputs = realInputs(model);
        expect(inputs.map((v) => v.name)).toEqual([...s.inputNames]);
        expect(model.graph.outputs.map((v) => v.name)).toEqual([...s.outputNames]);
        inputs.forEach((v, i) => expectSameMetadata(v, s.inputMetadata[i]!, `input ${v.name}`));
        model.graph.outputs.forEach((v, i) =>
          expectSameMetadata(v, s.outputMetadata[i]!, `output ${v.name}`),
        );
        const wire = summarizeModel(readFileSync(nm.file));
        expect(model.graph.nodes.length).toBe(wire.nodes);
        expect(model.graph.initializers.size).toBe(wire.initializers + wire.sparseInitializers);
        expect(model.opsetImports).toEqual(wire.opsetImports);
        expect(model.irVersion).toBe(wire.irVersion);
      },
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Every TensorProto data type, through raw_data and through the typed fields.

const { DataType } = onnx.TensorProto;

/** int64 as the {low, high} pair protobufjs writes exactly (it cannot encode bigint). */
function long(v: bigint, unsigned = false): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned };
}

interface DTypeCase {
  code: number;
  dtype: DType;
  /** Values the decoded tensor must hold (compared with Object.is, so NaN and -0 count). */
  values: (number | bigint)[];
  /** Little-endian raw_data bytes for `values`, built by hand with a DataView. */
  raw?: (dv: DataView) => void;
  bytes: number;
  /** The typed field and what goes in it. */
  typed: Record<string, unknown[]>;
}

const F16_BITS = [
  0x0000, 0x8000, 0x7bff, 0xfbff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x3c00, 0x3555,
];
const F16_VALUES = [
  0,
  -0,
  65504,
  -65504,
  2 ** -24,
  1023 * 2 ** -24,
  2 ** -14,
  Infinity,
  -Infinity,
  NaN,
  1,
  0.333251953125,
];
const BF16_BITS = [0x3f80, 0xc000, 0x7f7f, 0x0001, 0x8000, 0x7fc0, 0xff80, 0x3eab];
const BF16_VALUES = [1, -2, 3.3895313892515355e38, 2 ** -133, -0, NaN, -Infinity, 0.333984375];
const I64 = [
  -(2n ** 63n),
  2n ** 63n - 1n,
  -9007199254740993n,
  9007199254740993n,
  -1n,
  0n,
  123456789012345678n,
];
const U64 = [0n, 2n ** 64n - 1n, 2n ** 63n + 1n, 9007199254740993n, 1n];

const CASES: DTypeCase[] = [
  {
    code: DataType.FLOAT,
    dtype: 'float32',
    values: [0, -0, 1.5, -3.25, NaN, Infinity, -Infinity, 2 ** -149, 3.4028234663852886e38],
    bytes: 4,
    raw: (dv) => CASES[0]!.values.forEach((v, i) => dv.setFloat32(i * 4, v as number, true)),
    typed: { floatData: [0, -0, 1.5, -3.25, NaN, Infinity, -Infinity, 2 ** -149, 3.4028234663852886e38] },
  },
  {
    code: DataType.FLOAT16,
    dtype: 'float16',
    values: F16_VALUES,
    bytes: 2,
    raw: (dv) => F16_BITS.forEach((b, i) => dv.setUint16(i * 2, b, true)),
    typed: { int32Data: F16_BITS },
  },
  {
    code: DataType.BFLOAT16,
    dtype: 'bfloat16',
    values: BF16_VALUES,
    bytes: 2,
    raw: (dv) => BF16_BITS.forEach((b, i) => dv.setUint16(i * 2, b, true)),
    typed: { int32Data: BF16_BITS },
  },
  {
    code: DataType.DOUBLE,
    dtype: 'float64',
    values: [0, -0, Math.PI, -1e308, 5e-324, NaN, Infinity, 0.1],
    bytes: 8,
    raw: (dv) =>
      [0, -0, Math.PI, -1e308, 5e-324, NaN, Infinity, 0.1].forEach((v, i) => dv.setFloat64(i * 8, v, true)),
    typed: { doubleData: [0, -0, Math.PI, -1e308, 5e-324, NaN, Infinity, 0.1] },
  },
  {
    code: DataType.INT8,
    dtype: 'int8',
    values: [-128, 127, 0, -1, 42],
    bytes: 1,
    raw: (dv) => [-128, 127, 0, -1, 42].forEach((v, i) => dv.setInt8(i, v)),
    typed: { int32Data: [-128, 127, 0, -1, 42] },
  },
  {
    code: DataType.INT16,
    dtype: 'int16',
    values: [-32768, 32767, 0, -1, 1000],
    bytes: 2,
    raw: (dv) => [-32768, 32767, 0, -1, 1000].forEach((v, i) => dv.setInt16(i * 2, v, true)),
    typed: { int32Data: [-32768, 32767, 0, -1, 1000] },
  },
  {
    code: DataType.INT32,
    dtype: 'int32',
    values: [-(2 ** 31), 2 ** 31 - 1, 0, -1, 65536],
    bytes: 4,
    raw: (dv) => [-(2 ** 31), 2 ** 31 - 1, 0, -1, 65536].forEach((v, i) => dv.setInt32(i * 4, v, true)),
    typed: { int32Data: [-(2 ** 31), 2 ** 31 - 1, 0, -1, 65536] },
  },
  {
    code: DataType.INT64,
    dtype: 'int64',
    values: I64,
    bytes: 8,
    raw: (dv) => I64.forEach((v, i) => dv.setBigInt64(i * 8, v, true)),
    typed: { int64Data: I64.map((v) => long(v)) },
  },
  {
    code: DataType.UINT8,
    dtype: 'uint8',
    values: [0, 255, 1, 128],
    bytes: 1,
    raw: (dv) => [0, 255, 1, 128].forEach((v, i) => dv.setUint8(i, v)),
    typed: { int32Data: [0, 255, 1, 128] },
  },
  {
    code: DataType.UINT16,
    dtype: 'uint16',
    values: [0, 65535, 32768, 7],
    bytes: 2,
    raw: (dv) => [0, 65535, 32768, 7].forEach((v, i) => dv.setUint16(i * 2, v, true)),
    typed: { int32Data: [0, 65535, 32768, 7] },
  },
  {
    code: DataType.UINT32,
    dtype: 'uint32',
    values: [0, 2 ** 32 - 1, 2 ** 31, 7],
    bytes: 4,
    raw: (dv) => [0, 2 ** 32 - 1, 2 ** 31, 7].forEach((v, i) => dv.setUint32(i * 4, v, true)),
    typed: { uint64Data: [0, long(2n ** 32n - 1n, true), long(2n ** 31n, true), 7] },
  },
  {
    code: DataType.UINT64,
    dtype: 'uint64',
    values: U64,
    bytes: 8,
    raw: (dv) => U64.forEach((v, i) => dv.setBigUint64(i * 8, v, true)),
    typed: { uint64Data: U64.map((v) => long(v, true)) },
  },
  {
    code: DataType.BOOL,
    dtype: 'bool',
    values: [1, 0, 1, 1, 0],
    bytes: 1,
    raw: (dv) => [1, 0, 1, 1, 0].forEach((v, i) => dv.setUint8(i, v)),
    typed: { int32Data: [1, 0, 1, 1, 0] },
  },
];

function encodeTensor(fields: Record<string, unknown>): Uint8Array {
  return onnx.TensorProto.encode(onnx.TensorProto.create(fields as never)).finish();
}

function expectValues(t: Tensor, c: { dtype: DType; values: unknown[] }, how: string): void {
  expect(t.dtype, how).toBe(c.dtype);
  expect(t.size, how).toBe(c.values.length);
  for (let i = 0; i < c.values.length; i++) {
    expect(
      Object.is(t.data[i], c.values[i]),
      `${how}[${i}]: got ${String(t.data[i])}, want ${String(c.values[i])}`,
    ).toBe(true);
  }
}

describe('TensorProto data types', () => {
  for (const c of CASES) {
    const n = c.values.length;

    it(`${c.dtype} via raw_data`, () => {
      const raw = new Uint8Array(n * c.bytes);
      c.raw!(new DataView(raw.buffer));
      const t = decodeTensorProto(encodeTensor({ name: 'r', dataType: c.code, dims: [n], rawData: raw }));
      expect(t.shape).toEqual([n]);
      expectValues(t, c, `${c.dtype} raw`);
    });

    it(`${c.dtype} via typed fields`, () => {
      const t = decodeTensorProto(encodeTensor({ name: 't', dataType: c.code, dims: [1, n], ...c.typed }));
      expect(t.shape).toEqual([1, n]);
      expectValues(t, c, `${c.dtype} typed`);
    });

    it(`${c.dtype}: raw_data of the wrong length is refused`, () => {
      const raw = new Uint8Array(n * c.bytes + 1);
      expectKiln(
        () =>
          decodeTensorProto(encodeTensor({ name: 'bad', dataType: c.code, dims: [n], rawData: raw }), {
            file: 'x.pb',
          }),
        new RegExp(`\\[file x\\.pb\\] tensor 'bad': raw data holds ${n * c.bytes + 1} bytes`),
      );
    });

    it(`${c.dtype}: a typed field with the wrong count is refused`, () => {
      expectKiln(
        () =>
          decodeTensorProto(encodeTensor({ name: 'bad', dataType: c.code, dims: [n + 1], ...c.typed }), {
            file: 'x.pb',
          }),
        new RegExp(`x\\.pb.*tensor 'bad': \\w+ holds ${n} values but dims need ${n + 1}`),
      );
    });
  }

  it('string via string_data (UTF-8, empty, embedded NUL)', () => {
    const values = ['', 'héllo', '日本語', 'a\0b', '🙂'];
    const enc = new TextEncoder();
    const t = decodeTensorProto(
      encodeTensor({
        name: 's',
        dataType: DataType.STRING,
        dims: [5],
        stringData: values.map((s) => enc.encode(s)),
      }),
    );
    expect(t.dtype).toBe('string');
    expect(t.data).toEqual(values);
  });

  it('string with raw_data is refused', () => {
    expectKiln(
      () =>
        decodeTensorProto(
          encodeTensor({ name: 's', dataType: DataType.STRING, dims: [1], rawData: new Uint8Array([65]) }),
        ),
      /string tensors cannot use raw_data/,
    );
  });

  it('scalars, empty tensors and multi-dim shapes', () => {
    const scalar = decodeTensorProto(
      encodeTensor({ dataType: DataType.INT64, dims: [], int64Data: [long(-5n)] }),
    );
    expect(scalar.shape).toEqual([]);
    expect(scalar.data[0]).toBe(-5n);
    const empty = decodeTensorProto(encodeTensor({ dataType: DataType.FLOAT, dims: [3, 0, 2] }));
    expect(empty.shape).toEqual([3, 0, 2]);
    expect(empty.size).toBe(0);
    const raw = new Uint8Array(24);
    new Float32Array(raw.buffer).set([1, 2, 3, 4, 5, 6]);
    const m = decodeTensorProto(encodeTensor({ dataType: DataType.FLOAT, dims: [2, 3], rawData: raw }));
    expect(m.shape).toEqual([2, 3]);
    expect([...m.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('raw_data that is not 8-byte aligned in the file still decodes', () => {
    // The int64 payload starts at an odd offset inside the encoded message.
    const raw = new Uint8Array(16);
    new DataView(raw.buffer).setBigInt64(0, -(2n ** 62n) - 3n, true);
    new DataView(raw.buffer).setBigInt64(8, 2n ** 60n + 1n, true);
    const t = decodeTensorProto(
      encodeTensor({ name: 'odd', dataType: DataType.INT64, dims: [2], rawData: raw }),
    );
    expect([...(t.data as BigInt64Array)]).toEqual([-(2n ** 62n) - 3n, 2n ** 60n + 1n]);
  });

  it('bad data types, dims and bytes are refused with a KilnError', () => {
    expectKiln(
      () => decodeTensorProto(encodeTensor({ name: 'u', dataType: 99, dims: [1] }), { file: 'f.pb' }),
      /f\.pb.*unknown data_type 99/,
    );
    expectKiln(
      () => decodeTensorProto(encodeTensor({ name: 'u', dataType: 0, dims: [1] })),
      /unknown data_type 0/,
    );
    expectKiln(
      () =>
        decodeTensorProto(encodeTensor({ name: 'f8', dataType: 17, dims: [1], rawData: new Uint8Array(1) })),
      /float8e4m3fn is not supported/,
    );
    expectKiln(
      () => decodeTensorProto(encodeTensor({ name: 'neg', dataType: 1, dims: [2, -3], floatData: [] })),
      /tensor 'neg': invalid dimension -3/,
    );
    expectKiln(
      () =>
        decodeTensorProto(
          encodeTensor({ name: 'huge', dataType: 1, dims: [long(2n ** 40n), long(2n ** 40n)] }),
        ),
      /tensor 'huge': dims \[.*\] exceed the largest supported tensor/,
    );
    expectKiln(
      () => decodeTensorProto(new Uint8Array([0xff, 0xff, 0xff]), { file: 'junk.pb' }),
      /junk\.pb.*not a valid TensorProto/,
    );
    expectKiln(() => readTensorProtoFile('/nonexistent/kiln/input_0.pb'), /input_0\.pb.*cannot read tensor/);
  });
});

// ---------------------------------------------------------------------------------------------
// External data.

describe('external data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-extdata-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const W = [1.5, -2, 3.25, 0.125, -0, 1e-3];

  /** Y = X + W where W lives in an external file. */
  function writeModel(
    sub: string,
    externalData: Record<string, string>,
    payload?: { file: string; bytes: Uint8Array },
  ) {
    const folder = join(dir, sub);
    mkdirSync(folder, { recursive: true });
    const mp = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'kiln-test',
      graph: {
        name: 'ext',
        node: [{ opType: 'Add', input: ['X', 'W'], output: ['Y'], name: 'add' }],
        input: [
          {
            name: 'X',
            type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: 3 }] } } },
          },
        ],
        output: [
          {
            name: 'Y',
            type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: 3 }] } } },
          },
        ],
        initializer: [
          {
            name: 'W',
            dataType: 1,
            dims: [2, 3],
            dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
            externalData: Object.entries(externalData).map(([key, value]) => ({ key, value })),
          },
        ],
      },
    });
    const file = join(folder, 'model.onnx');
    writeFileSync(file, onnx.ModelProto.encode(mp).finish());
    if (payload) {
      mkdirSync(join(folder, payload.file, '..'), { recursive: true });
      writeFileSync(join(folder, payload.file), payload.bytes);
    }
    return file;
  }

  /** 16 bytes of junk, then W as little-endian float32, then 8 more bytes of junk. */
  function payload(): Uint8Array {
    const b = new Uint8Array(16 + 24 + 8).fill(0xaa);
    const dv = new DataView(b.buffer);
    W.forEach((v, i) => dv.setFloat32(16 + i * 4, v, true));
    return b;
  }

  it('loads an initializer from location/offset/length, as onnxruntime does', async () => {
    const file = writeModel(
      'ok',
      { location: 'weights.bin', offset: '16', length: '24' },
      { file: 'weights.bin', bytes: payload() },
    );
    const m = loadModel(file);
    const w = m.graph.initializers.get('W')!;
    expect(w.shape).toEqual([2, 3]);
    expect([...w.data]).toEqual([...new Float32Array(W)]);
    // onnxruntime reads the same external file: X = -0 gives Y = W exactly (-0 + -0 is -0).
    const s = await session(file);
    const out = await s.run({ X: new ort.Tensor('float32', new Float32Array(6).fill(-0), [2, 3]) });
    expect([...(out.Y!.data as Float32Array)]).toEqual([...w.data]);
  });

  it('resolves locations in a subfolder, and against baseDir with importModel', () => {
    const file = writeModel(
      'sub',
      { location: 'data/w.bin', offset: '16' },
      { file: 'data/w.bin', bytes: payload() },
    );
    expect([...loadModel(file).graph.initializers.get('W')!.data]).toEqual([...new Float32Array(W)]);
    const m = importModel(readFileSync(file), { baseDir: join(dir, 'sub'), file: 'mem.onnx' });
    expect([...m.graph.initializers.get('W')!.data]).toEqual([...new Float32Array(W)]);
  });

  it('a missing external file is a KilnError naming the model and the data file', () => {
    const file = writeModel('missing', { location: 'nothere.bin' });
    const e = expectKiln(() => loadModel(file), /cannot open external data file '.*nothere\.bin'/);
    expect(e.message).toContain(`[file ${file}]`);
    expect(e.message).toContain("tensor 'W'");
  });

  it("a location with '..' or an absolute path is refused", () => {
    const outside = writeModel('dots', { location: '../ok/weights.bin', offset: '16' });
    expectKiln(
      () => loadModel(outside),
      /external data location '\.\.\/ok\/weights\.bin' leaves the model folder/,
    );
    const sneaky = writeModel('dots2', { location: 'data/../../ok/weights.bin', offset: '16' });
    expectKiln(() => loadModel(sneaky), /leaves the model folder/);
    const abs = writeModel('abs', { location: join(dir, 'ok', 'weights.bin'), offset: '16' });
    expectKiln(() => loadModel(abs), /leaves the model folder/);
  });

  it('offsets and lengths that do not fit are refused', () => {
    const p = { file: 'weights.bin', bytes: payload() };
    expectKiln(
      () => loadModel(writeModel('len', { location: 'weights.bin', length: '20' }, p)),
      /external data length 20 does not match 6 float32/,
    );
    expectKiln(
      () => loadModel(writeModel('off', { location: 'weights.bin', offset: '40' }, p)),
      /has 48 bytes, needs 64/,
    );
    expectKiln(
      () => loadModel(writeModel('negoff', { location: 'weights.bin', offset: '-4' }, p)),
      /bad external data offset/,
    );
    expectKiln(
      () => loadModel(writeModel('nanoff', { location: 'weights.bin', offset: 'abc' }, p)),
      /bad external data offset/,
    );
    expectKiln(() => loadModel(writeModel('noloc', { offset: '0' }, p)), /external data without a location/);
  });

  it('loadModel on a missing file or a folder is a KilnError', () => {
    expectKiln(() => loadModel(join(dir, 'no-such.onnx')), /no-such\.onnx.*cannot read model/);
    expectKiln(() => loadModel(dir), /cannot read model: it is a directory/);
  });
});

// ---------------------------------------------------------------------------------------------
// Regressions for what the fuzzer (fuzz.test.ts) found.

describe('importer hardening', () => {
  const encodeModel = (graph: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph,
        ...extra,
      } as never),
    ).finish();

  it('huge dims with a short typed field are refused before allocating', () => {
    for (const [dataType, field, value] of [
      [1, 'floatData', 1],
      [7, 'int64Data', 1],
      [8, 'stringData', new Uint8Array([65])],
      [10, 'int32Data', 1],
    ] as const) {
      const before = process.memoryUsage().arrayBuffers;
      const t0 = performance.now();
      expectKiln(
        () => decodeTensorProto(encodeTensor({ name: 'big', dataType, dims: [2 ** 30], [field]: [value] })),
        /tensor 'big': \w+_data holds 1 values but dims need 1073741824/,
      );
      // a hang guard, not a speed check: refusing must not scan 2^30 elements
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
    }
  });

  it('sparse initializers too large to densify are refused', () => {
    const bytes = encodeModel({
      name: 'g',
      sparseInitializer: [
        {
          values: { name: 'sp', dataType: 1, dims: [1], floatData: [1] },
          indices: { dataType: 7, dims: [1], int64Data: [3] },
          dims: [2 ** 30],
        },
      ],
    });
    expectKiln(
      () => importModel(bytes, { file: 's.onnx' }),
      /s\.onnx.*sparse tensor dims \[1073741824\] are too large/,
    );
  });

  it("attribute and metadata keys such as '__proto__' are kept as own properties", () => {
    const bytes = encodeModel(
      {
        name: 'g',
        node: [
          {
            opType: 'Custom',
            attribute: [
              { name: '__proto__', type: onnx.AttributeProto.AttributeType.INT, i: 7 },
              {
                name: 'constructor',
                type: onnx.AttributeProto.AttributeType.STRING,
                s: new TextEncoder().encode('c'),
              },
            ],
          },
        ],
      },
      { metadataProps: [{ key: '__proto__', value: 'meta' }] },
    );
    const m = importModel(bytes);
    const attrs = m.graph.nodes[0]!.attrs;
    expect(Object.keys(attrs)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(attrs, '__proto__')?.value).toEqual({ type: 'int', value: 7 });
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(Object.entries(m.metadata)).toEqual([['__proto__', 'meta']]);
  });

  it('a tensor too large for inline raw_data is refused by the exporter with a KilnError', () => {
    const n = 2 ** 28 + 1; // 8 bytes each: just over protobuf's 2 GiB limit (data is never touched)
    const fake = new Tensor('float64', [n], { length: n } as unknown as Float64Array);
    const model = importModel(encodeModel({ name: 'g' }));
    model.graph.initializers.set('huge', fake);
    expectKiln(() => exportModel(model), /tensor 'huge' holds 2147483656 bytes, too many to write inline/);
  });
});

describe('invalid UTF-8 in string fields', () => {
  /** A model whose node output name holds the bytes ED A0 80 (a UTF-8-encoded lone surrogate). */
  function modelWithBadName(): Uint8Array {
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: { name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['yQQQ'] }] },
      }),
    ).finish();
    const out = new Uint8Array(bytes);
    const at = Buffer.from(out).indexOf('QQQ');
    out.set([0xed, 0xa0, 0x80], at);
    return out;
  }

  it('is refused with a KilnError naming the field, rather than renamed on export', () => {
    expectKiln(
      () => importModel(modelWithBadName(), { file: 'utf.onnx' }),
      /\[file utf\.onnx\] model\.graph\.node\[0\]\.output\[0\] is not valid UTF-8/,
    );
  });

  it('valid non-ASCII names (including astral characters) import unchanged', () => {
    const name = 'x→日本🙂';
    const m = importModel(
      onnx.ModelProto.encode(
        onnx.ModelProto.create({
          irVersion: 8,
          opsetImport: [{ domain: '', version: 17 }],
          graph: { name: 'g', node: [{ opType: 'Relu', input: [name], output: ['y'] }] },
        }),
      ).finish(),
    );
    expect(m.graph.nodes[0]!.inputs).toEqual([name]);
  });
});

describe('unnamed initializers', () => {
  const model = (graph: Record<string, unknown>) =>
    onnx.ModelProto.encode(
      onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph } as never),
    ).finish();

  it('a dense or sparse initializer without a name is refused (it could not be referenced or exported)', () => {
    expectKiln(
      () =>
        importModel(model({ initializer: [{ dataType: 1, dims: [1], floatData: [1] }] }), { file: 'n.onnx' }),
      /n\.onnx.*an initializer has no name/,
    );
    const sparse = {
      values: { dataType: 1, dims: [1], floatData: [1] },
      indices: { dataType: 7, dims: [1], int64Data: [0] },
      dims: [2],
    };
    expectKiln(
      () => importModel(model({ sparseInitializer: [sparse] }), { file: 'n.onnx' }),
      /n\.onnx.*a sparse initializer has no name/,
    );
  });
});
