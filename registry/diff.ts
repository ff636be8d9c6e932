import type { ManifestTensor } from '../runtime/artifact/manifest.js';
import { type OnnxSummary, summarizeOnnx } from './onnx-summary.js';
import type { VersionRef } from './refs.js';
import type { Registry } from './registry.js';
import { getVersion } from './versions.js';

export interface VersionDiff {
  a: string;
  b: string;
  sameSource: boolean;
  /** Inputs/outputs whose dtype or shape changed, or that exist on one side only. */
  signature: { name: string; kind: 'input' | 'output'; a?: string; b?: string }[];
  /** Op counts that differ (a, b). */
  ops: { op: string; a: number; b: number }[];
  nodes: { a: number; b: number };
  parameters: { a: number; b: number };
  /** Metrics on either side, with b − a where both have it. */
  metrics: { name: string; a?: number; b?: number; delta?: number }[];
}

/** Graph and metric differences between two versions (of one model or two). */
export async function diffVersions(reg: Registry, refA: VersionRef, refB: VersionRef): Promise<VersionDiff> {
  const [va, vb] = [await getVersion(reg, refA), await getVersion(reg, refB)];
  const summary = async (sha: string, name: string): Promise<OnnxSummary> =>
    summarizeOnnx(await reg.blobs.read(sha), name).summary;
  const sa = await summary(va.source.sha256, va.source.name);
  const sb = va.source.sha256 === vb.source.sha256 ? sa : await summary(vb.source.sha256, vb.source.name);
  const ops = [...new Set([...Object.keys(sa.ops), ...Object.keys(sb.ops)])]
    .sort()
    .map((op) => ({ op, a: sa.ops[op] ?? 0, b: sb.ops[op] ?? 0 }))
    .filter((d) => d.a !== d.b);
  const metricNames = [...new Set([...Object.keys(va.metrics), ...Object.keys(vb.metrics)])].sort();
  return {
    a: `${va.model}@${va.version}`,
    b: `${vb.model}@${vb.version}`,
    sameSource: va.source.sha256 === vb.source.sha256,
    signature: [
      ...tensorDiff(sa.inputs, sb.inputs, 'input'),
      ...tensorDiff(sa.outputs, sb.outputs, 'output'),
    ],
    ops,
    nodes: { a: sa.nodes, b: sb.nodes },
    parameters: { a: sa.parameters, b: sb.parameters },
    metrics: metricNames.map((name) => {
      const a = va.metrics[name];
      const b = vb.metrics[name];
      return {
        name,
        ...(a !== undefined ? { a } : {}),
        ...(b !== undefined ? { b } : {}),
        ...(a !== undefined && b !== undefined ? { delta: b - a } : {}),
      };
    }),
  };
}

export function describeTensor(t: ManifestTensor): string {
  return `${t.dtype}[${t.shape.join(',')}]`;
}

function tensorDiff(
  a: ManifestTensor[],
  b: ManifestTensor[],
  kind: 'input' | 'output',
): VersionDiff['signature'] {
  const out: VersionDiff['signature'] = [];
  const names = [...new Set([...a.map((t) => t.name), ...b.map((t) => t.name)])];
  for (const name of names) {
    const ta = a.find((t) => t.name === name);
    const tb = b.find((t) => t.name === name);
    const da = ta && describeTensor(ta);
    const db = tb && describeTensor(tb);
    if (da !== db) out.push({ name, kind, ...(da ? { a: da } : {}), ...(db ? { b: db } : {}) });
  }
  return out;
}
