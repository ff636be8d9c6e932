import type { Model } from '../compiler/ir/graph.js';
import { importModel } from '../compiler/onnx/import.js';
import type { ManifestTensor } from '../runtime/artifact/manifest.js';
import { KilnError } from '../runtime/errors.js';

/** What the registry records about an ONNX source: its signature, and what `diff` compares. */
export interface OnnxSummary {
  inputs: ManifestTensor[];
  outputs: ManifestTensor[];
  ops: Record<string, number>;
  nodes: number;
  parameters: number;
  opsets: Record<string, number>;
}

/**
 * Import an ONNX model (refusing anything that is not one, with the importer's reason) and
 * summarise it. Protobuf decodes many byte strings without error, so a model without a graph
 * output is refused here too.
 */
export function summarizeOnnx(bytes: Uint8Array, file: string): { model: Model; summary: OnnxSummary } {
  let model: Model;
  try {
    model = importModel(bytes, { file });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new KilnError(`not an ONNX model: ${why.replace(/^\[file [^\]]*\] /, '')}`, {
      file,
      expected: 'a serialized ONNX ModelProto (.onnx)',
    });
  }
  const g = model.graph;
  if (g.outputs.length === 0 || model.opsetImports.size === 0) {
    throw new KilnError('not an ONNX model: it has no graph outputs or no opset imports', {
      file,
      expected: 'a serialized ONNX ModelProto (.onnx)',
    });
  }
  const ops: Record<string, number> = {};
  for (const n of g.nodes) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.op}` : n.op;
    ops[key] = (ops[key] ?? 0) + 1;
  }
  let parameters = 0;
  for (const t of g.initializers.values()) parameters += t.shape.reduce((a, b) => a * b, 1);
  const initNames = new Set(g.initializers.keys());
  const tensor = (v: Model['graph']['inputs'][number]): ManifestTensor => ({
    name: v.name,
    dtype: (v.type?.dtype ?? 'float32') as ManifestTensor['dtype'],
    shape: [...(v.type?.shape ?? [])],
  });
  return {
    model,
    summary: {
      inputs: g.inputs.filter((v) => !initNames.has(v.name)).map(tensor),
      outputs: g.outputs.map(tensor),
      ops,
      nodes: g.nodes.length,
      parameters,
      opsets: Object.fromEntries([...model.opsetImports].map(([d, v]) => [d || 'ai.onnx', v])),
    },
  };
}
