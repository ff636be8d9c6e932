/**
 * Checks every math op's `infer` against the ONNX backend test data: for each single-node case of a
 * math op, the types inferred from the actual input tensors must equal the model's declared output
 * dtypes and the shapes of the expected outputs. (The runner checks `run` on the same data.)
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, readTensorProtoFile } from '../../../../../compiler/onnx/import.js';
import type { TypeInfo } from '../../../../../compiler/ir/graph.js';
import { mathOps } from '../../../../../compiler/reference/ops/math/index.js';

const ROOT = '/usr/share/libonnx-testdata/data';
const DIRS = ['node', 'pytorch-converted', 'pytorch-operator'].map((d) => join(ROOT, d));
const MATH = new Set(mathOps.map((o) => o.op));

interface Checked {
  name: string;
  problem?: string;
}

function checkCase(dir: string): Checked | undefined {
  const model = loadModel(join(dir, 'model.onnx'));
  const g = model.graph;
  if (g.nodes.length !== 1 || !MATH.has(g.nodes[0]!.op) || g.nodes[0]!.domain !== '') return undefined;
  const node = g.nodes[0]!;
  const def = mathOps.find((o) => o.op === node.op)!;
  const ds = join(dir, 'test_data_set_0');
  const formal = g.inputs.filter((v) => !g.initializers.has(v.name));
  const types = new Map<string, TypeInfo>();
  formal.forEach((v, i) => {
    const file = join(ds, `input_${i}.pb`);
    const shape = existsSync(file) ? [...readTensorProtoFile(file).shape] : undefined;
    if (v.type) types.set(v.name, { dtype: v.type.dtype, shape });
  });
  for (const [name, tensor] of g.initializers)
    types.set(name, { dtype: tensor.dtype, shape: [...tensor.shape] });
  let n = 0;
  const inferred = def.infer({
    node,
    opset: model.opsetImports.get('') ?? 1,
    inputs: node.inputs.map((x) => (x ? types.get(x) : undefined)),
    constants: node.inputs.map((x) => (x ? g.initializers.get(x) : undefined)),
    freshDim: () => `unk__${n++}`,
    inferSubgraph: () => [],
  });
  const name = dir.split('/').pop()!;
  for (let i = 0; i < g.outputs.length; i++) {
    const want = readTensorProtoFile(join(ds, `output_${i}.pb`));
    const got = inferred[g.outputs.findIndex((o) => o.name === node.outputs[i])] ?? inferred[i];
    const dtype = g.outputs[i]!.type?.dtype ?? want.dtype;
    if (!got) return { name, problem: `output ${i}: nothing inferred` };
    if (got.dtype !== dtype) return { name, problem: `output ${i}: dtype ${got.dtype}, expected ${dtype}` };
    if (JSON.stringify(got.shape) !== JSON.stringify([...want.shape]))
      return { name, problem: `output ${i}: shape ${JSON.stringify(got.shape)}, expected [${want.shape}]` };
  }
  return { name };
}

describe.skipIf(!existsSync(join(ROOT, 'node')))('math op inference on the ONNX backend test data', () => {
  it('infers the dtype and shape of every single-node math case', () => {
    const results: Checked[] = [];
    for (const root of DIRS.filter(existsSync)) {
      for (const c of readdirSync(root).sort()) {
        const dir = join(root, c);
        if (!existsSync(join(dir, 'test_data_set_0'))) continue;
        const r = checkCase(dir);
        if (r) results.push(r);
      }
    }
    // The node tests alone hold over 200 single-node math cases; fewer means the scan broke.
    expect(results.length).toBeGreaterThan(200);
    expect(results.filter((r) => r.problem)).toEqual([]);
  });
});
