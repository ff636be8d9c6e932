import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { graphDiff, graphsEqual, modelDiff } from '../../../compiler/ir/equal.js';
import type { Model } from '../../../compiler/ir/graph.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { importModel, readTensorProtoFile } from '../../../compiler/onnx/import.js';
import { onnx } from '../../../compiler/onnx/proto.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { T, featureModelBytes } from './fixtures.js';
import { hasTorchModels, npmModels, torchModels } from './models.js';
import { seededRandom as prng } from '../../../runtime/prng.js';

const ORT_TYPE: Record<string, ort.Tensor.Type> = {
  float32: 'float32',
  int64: 'int64',
  int32: 'int32',
  bool: 'bool',
};

function toOrt(t: Tensor): ort.Tensor {
  const type = ORT_TYPE[t.dtype];
  if (!type) throw new Error(`test helper: no onnxruntime type for ${t.dtype}`);
  return new ort.Tensor(type, t.data as Float32Array, [...t.shape]);
}

async function runOrt(
  model: string | Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, ort.Tensor>> {
  const s =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model)
      : await ort.InferenceSession.create(model);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

function bytesOf(t: ort.Tensor): Uint8Array {
  const d = t.data as Float32Array;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** import → export → import: the IR must come back identical, and a second export byte-identical. */
function roundTrip(bytes: Uint8Array, file: string): { first: Model; exported: Uint8Array } {
  const first = importModel(bytes, { file });
  const exported = exportModel(first);
  const second = importModel(exported, { file: `${file} (exported)` });
  const diffs = modelDiff(first, second);
  expect(diffs, `${file}: IR differs after export and re-import:\n${diffs.join('\n')}`).toEqual([]);
  const again = exportModel(second);
  expect(Buffer.compare(Buffer.from(again), Buffer.from(exported)), `${file}: export is not stable`).toBe(0);
  return { first, exported };
}

/** Run the original file and the exported bytes in onnxruntime; every output must be bit-identical. */
async function expectSameOrtOutputs(file: string, exported: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const want = await runOrt(file, feeds);
  const got = await runOrt(exported, feeds);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    const g = got[name]!;
    expect(g.type, name).toBe(w.type);
    expect([...g.dims], name).toEqual([...w.dims]);
    expect(w.size, `${name} is empty, nothing compared`).toBeGreaterThan(0);
    expect(Buffer.compare(Buffer.from(bytesOf(g)), Buffer.from(bytesOf(w))), `${name} differs`).toBe(0);
  }
}

describe.skipIf(!hasTorchModels)('round trip of the torch models', () => {
  for (const tm of torchModels()) {
    it(`${tm.name}: import → export → import is identical, and onnxruntime gives identical outputs`, async () => {
      const { first, exported } = roundTrip(readFileSync(tm.file), tm.file);
      const input = readTensorProtoFile(join(tm.dataDir, 'input_0.pb'));
      const name = first.graph.inputs.find((v) => !first.graph.initializers.has(v.name))!.name;
      await expectSameOrtOutputs(tm.file, exported, { [name]: toOrt(input) });
    });
  }
});

/** Sizes for symbolic dims, and fixed values for inputs that are not data (silero's sample rate). */
const NPM_INPUTS: Record<string, { dims: Record<string, number>; fixed?: Record<string, Tensor> }> = {
  'ch_PP-OCRv4_det_infer.onnx': { dims: { 'p2o.DynamicDimension.1': 64, 'p2o.DynamicDimension.2': 96 } },
  'ch_PP-OCRv4_rec_infer.onnx': { dims: { 'p2o.DynamicDimension.1': 80 } },
  'ch_ppocr_mobile_v2.0_cls_infer.onnx': {
    dims: { 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 },
  },
  'silero_vad_16k_op15.onnx': { dims: { sequence: 512 }, fixed: { sr: tensorFrom('int64', [], [16000n]) } },
  'silero_vad_op18_ifless.onnx': {
    dims: { sequence: 512 },
    fixed: { sr: tensorFrom('int64', [], [16000n]) },
  },
  'melspectrogram.onnx': { dims: { samples: 1760 } },
  'embedding_model.onnx': { dims: {} },
};

describe('round trip of the npm models', () => {
  for (const nm of npmModels()) {
    it.skipIf(!nm.present)(
      `${nm.name}: import → export → import is identical, and onnxruntime agrees`,
      async () => {
        const base = nm.file.split('/').pop()!;
        const spec = NPM_INPUTS[base];
        expect(spec, `no input spec for ${base}`).toBeDefined();
        const { first, exported } = roundTrip(readFileSync(nm.file), nm.file);
        const rand = prng(0x5eed + base.length);
        const feeds: Record<string, ort.Tensor> = {};
        for (const v of first.graph.inputs.filter((x) => !first.graph.initializers.has(x.name))) {
          const fixed = spec!.fixed?.[v.name];
          if (fixed) {
            feeds[v.name] = toOrt(fixed);
            continue;
          }
          expect(v.type?.dtype, `${v.name} dtype`).toBe('float32');
          // Symbolic dims: the size given above, else 1 (batch).
          const shape = v.type!.shape!.map((d) => (typeof d === 'number' ? d : (spec!.dims[d] ?? 1)));
          const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
          for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
          feeds[v.name] = new ort.Tensor('float32', data, shape);
        }
        await expectSameOrtOutputs(nm.file, exported, feeds);
      },
    );
  }
});

describe('round trip of a hand-made model with every IR feature', () => {
  it('subgraphs, every attribute type, functions, sparse initializers, metadata, unknown dims', () => {
    const bytes = featureModelBytes();
    const { first } = roundTrip(bytes, 'hand.onnx');
    // The features really are in the IR (so the comparison above covered them).
    expect(first.functions[0]!.nodes[1]!.attrs.alpha).toEqual({
      type: 'ref',
      value: 'alpha',
      refType: T.FLOAT,
    });
    expect(first.graph.nodes[2]!.attrs.then_branch!.type).toBe('graph');
    expect(Object.keys(first.graph.nodes[3]!.attrs)).toHaveLength(11);
    expect([...first.graph.initializers.get('sp')!.data]).toEqual([0, 3, 0, 0, 0, 4]);
    expect(first.graph.initializers.get('i')!.data[0]).toBe(-9007199254740993n);
    expect(first.graph.inputs[0]!.type!.shape).toEqual(['batch', 4]);
    expect(first.metadata).toEqual({ k: 'v' });
  });
});

describe('round trip of values whose element type is unknown', () => {
  it('a tensor value_info with elem_type 0 (or an unknown code) stays a tensor of unknown type', () => {
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'g',
          input: [{ name: 'a', type: { tensorType: { elemType: 0 } } }],
          output: [{ name: 'b', type: { tensorType: { elemType: 99, shape: { dim: [{ dimValue: 2 }] } } } }],
          valueInfo: [
            { name: 'c', type: { sparseTensorType: {} } },
            { name: 'd', type: { sequenceType: {} } },
          ],
        },
      }),
    ).finish();
    const { first } = roundTrip(bytes, 'unknown-types.onnx');
    expect(first.graph.inputs[0]).toEqual({ name: 'a', kind: 'tensor' });
    expect(first.graph.outputs[0]).toEqual({ name: 'b', kind: 'tensor' });
    expect(first.graph.valueInfo.get('c')).toEqual({ name: 'c', kind: 'sparse_tensor' });
    expect(first.graph.valueInfo.get('d')).toEqual({ name: 'd', kind: 'sequence' });
  });
});

describe('graphDiff finds the differences it should', () => {
  const base = (): Model => {
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'g',
          input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }],
          output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }],
          initializer: [{ name: 'w', dataType: 1, dims: [2], floatData: [0, 1] }],
          node: [
            {
              opType: 'If',
              input: ['c'],
              output: ['y'],
              name: 'if',
              attribute: [
                {
                  name: 'then_branch',
                  type: onnx.AttributeProto.AttributeType.GRAPH,
                  g: {
                    name: 'b',
                    node: [
                      {
                        opType: 'Relu',
                        input: ['x'],
                        output: ['y'],
                        attribute: [{ name: 'k', type: 2, i: 1 }],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      }),
    ).finish();
    return importModel(bytes);
  };

  it('equal models have no differences', () => {
    expect(modelDiff(base(), base())).toEqual([]);
    expect(graphsEqual(base().graph, base().graph)).toBe(true);
  });

  const mutations: [string, (m: Model) => void, RegExp][] = [
    ['op', (m) => (m.graph.nodes[0]!.op = 'Loop'), /nodes\[0\]\(if\)\.op/],
    [
      'subgraph attr',
      (m) => {
        const g = m.graph.nodes[0]!.attrs.then_branch!.value as Model['graph'];
        g.nodes[0]!.attrs.k = { type: 'int', value: 2 };
      },
      /then_branch.*attrs\["k"\]/,
    ],
    [
      'initializer -0',
      (m) => ((m.graph.initializers.get('w')!.data as Float32Array)[0] = -0),
      /initializers\["w"\]\.data\[0\]: 0 != -0/,
    ],
    [
      'initializer NaN payload',
      (m) => {
        const d = m.graph.initializers.get('w')!.data as Float32Array;
        new Uint32Array(d.buffer, d.byteOffset, 2)[1] = 0x7fc00001;
      },
      /initializers\["w"\]\.data\[1\]/,
    ],
    ['input shape', (m) => (m.graph.inputs[0]!.type!.shape = ['n']), /inputs\[0\]\.type\.shape\[0\]/],
    ['output dtype', (m) => (m.graph.outputs[0]!.type!.dtype = 'float16'), /outputs\[0\]\.type\.dtype/],
    ['value info', (m) => m.graph.valueInfo.set('q', { name: 'q' }), /valueInfo keys only in the second/],
    ['opset', (m) => m.opsetImports.set('', 18), /opsetImports\[""\]/],
    [
      'extra initializer',
      (m) => {
        m.graph.initializers.set('v', m.graph.initializers.get('w')!);
        m.graph.initializers.delete('w');
        m.graph.initializers.set('w', m.graph.initializers.get('v')!);
      },
      /initializers keys only in the second/,
    ],
  ];
  for (const [what, mutate, re] of mutations) {
    it(`notices a changed ${what}`, () => {
      const a = base();
      const b = base();
      mutate(b);
      const diffs = modelDiff(a, b);
      expect(diffs.length, what).toBeGreaterThan(0);
      expect(diffs.join('\n')).toMatch(re);
      expect(graphDiff(a.graph, b.graph).length + (what === 'opset' ? 1 : 0)).toBeGreaterThan(0);
    });
  }
});
