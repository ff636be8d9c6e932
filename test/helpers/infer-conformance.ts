/**
 * Shape inference of an op group on the ONNX backend node tests: with every input known, `infer`
 * must give the exact dtype and shape of the expected outputs; with only input types known, every
 * concrete dim it reports must still be right.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Model, TypeInfo } from '../../compiler/ir/graph.js';
import { loadModel, readTensorProtoFile } from '../../compiler/onnx/import.js';
import type { OpDef } from '../../compiler/reference/op.js';
import type { Tensor } from '../../runtime/tensor.js';
import { CONFORMANCE_ROOT, hasConformanceData } from './paths.js';

const NODE_DIR = join(CONFORMANCE_ROOT, 'node');

interface Case {
  name: string;
  dir: string;
  model: Model;
}

/** Single-node models whose op is one of ours, with tensor inputs and outputs only. */
function cases(OPS: Map<string, OpDef>): Case[] {
  if (!hasConformanceData || !existsSync(NODE_DIR)) return [];
  const out: Case[] = [];
  for (const name of readdirSync(NODE_DIR).sort()) {
    const dir = join(NODE_DIR, name);
    if (!existsSync(join(dir, 'model.onnx')) || !existsSync(join(dir, 'test_data_set_0'))) continue;
    const model = loadModel(join(dir, 'model.onnx'));
    const nodes = model.graph.nodes;
    if (nodes.length !== 1 || nodes[0]!.domain !== '' || !OPS.has(nodes[0]!.op)) continue;
    if ([...model.graph.inputs, ...model.graph.outputs].some((v) => v.kind && v.kind !== 'tensor')) continue;
    out.push({ name, dir, model });
  }
  return out;
}

function readSet(dir: string, prefix: string): Tensor[] {
  const out: Tensor[] = [];
  for (let i = 0; existsSync(join(dir, `${prefix}_${i}.pb`)); i++)
    out.push(readTensorProtoFile(join(dir, `${prefix}_${i}.pb`)));
  return out;
}

/** One test per single-node conformance model of the group's ops; `minCases` guards against finding none. */
export function describeInferConformance(group: string, ops: OpDef[], minCases: number): void {
  const OPS = new Map(ops.map((d) => [d.op, d]));
  const all = cases(OPS);
  describe.skipIf(!hasConformanceData)(`${group} op inference on conformance models`, () => {
    for (const c of all) {
      // Only single-node models whose op is one of ours, with tensor inputs and outputs.
      it(c.name, () => {
        const model = c.model;
        const nodes = model.graph.nodes;
        const node = nodes[0]!;
        const def = OPS.get(node.op)!;
        const opset = model.opsetImports.get('') ?? 1;
        const data = join(c.dir, 'test_data_set_0');
        const feeds = readSet(data, 'input');
        const expected = readSet(data, 'output');
        const byName = new Map<string, Tensor>(model.graph.inputs.map((v, i) => [v.name, feeds[i]!]));
        for (const [k, v] of model.graph.initializers) byName.set(k, v);
        const values = node.inputs.map((n) => (n ? byName.get(n) : undefined));
        const types = values.map((v): TypeInfo | undefined =>
          v ? { dtype: v.dtype, shape: [...v.shape] } : undefined,
        );
        let fresh = 0;
        const ctx = (constants: (Tensor | undefined)[]) => ({
          node,
          opset,
          inputs: types,
          constants,
          freshDim: () => `~${fresh++}`,
          inferSubgraph: () => [],
        });
        const full = def.infer(ctx(values));
        expected.forEach((e, i) => {
          expect(full[i], `output ${i}`).toBeDefined();
          expect(full[i]!.dtype, `output ${i} dtype`).toBe(e.dtype);
          expect(full[i]!.shape, `output ${i} shape`).toEqual([...e.shape]);
        });
        const partial = def.infer(ctx([]));
        expected.forEach((e, i) => {
          const s = partial[i]?.shape;
          if (!s) return;
          expect(s.length, `output ${i} rank without constants`).toBe(e.shape.length);
          s.forEach((d, k) => {
            if (typeof d === 'number') expect(d, `output ${i} dim ${k} without constants`).toBe(e.shape[k]);
          });
        });
      });
    }
    it('covers a meaningful number of models', () => {
      expect(all.length).toBeGreaterThan(minCases);
    });
  });
}
