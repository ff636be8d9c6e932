import { Command } from 'commander';
import { modelFlops } from '../compiler/analysis/flops.js';
import { modelOps } from '../compiler/ir/model-ops.js';
import { formatType, inferShapes } from '../compiler/ir/infer.js';
import { printModel } from '../compiler/ir/print.js';
import { verifyModel } from '../compiler/ir/verify.js';
import { loadModel } from '../compiler/onnx/import.js';
import { findOp } from '../compiler/reference/registry.js';
import { dtypeByteSize } from '../runtime/dtype.js';
import { printTable } from './table.js';

export function inspectCommand(): Command {
  return new Command('inspect')
    .description(
      'describe a model: inputs/outputs, opsets, op histogram, parameters, estimated FLOPs, unsupported ops',
    )
    .argument('<model>', 'an ONNX model file')
    .option('--json', 'print one JSON document')
    .option('--ir', 'also print the graph IR after shape inference')
    .action((file: string, opts: { json?: boolean; ir?: boolean }) => {
      const model = loadModel(file);
      const report = inferShapes(model, { file });
      const g = model.graph;
      const inputs = g.inputs.filter((v) => !g.initializers.has(v.name));
      const histogram = new Map<string, number>();
      for (const n of g.nodes) {
        const k = n.domain ? `${n.domain}.${n.op}` : n.op;
        histogram.set(k, (histogram.get(k) ?? 0) + 1);
      }
      let params = 0;
      let bytes = 0;
      for (const t of g.initializers.values()) {
        params += t.size;
        bytes += Math.ceil(t.size * dtypeByteSize(t.dtype));
      }
      const { flops, unknownNodes } = modelFlops(model, report.types);
      const unsupported = modelOps(model)
        .filter(
          (o) =>
            !findOp(o.domain, o.op) && !model.functions.some((f) => f.name === o.op && f.domain === o.domain),
        )
        .map((o) => (o.domain ? `${o.domain}.${o.op}` : o.op));
      const problems = verifyModel(model);
      const summary = {
        file,
        irVersion: model.irVersion,
        producer: `${model.producerName} ${model.producerVersion}`.trim(),
        opsets: Object.fromEntries([...model.opsetImports].map(([d, v]) => [d || 'ai.onnx', v])),
        inputs: inputs.map((v) => ({ name: v.name, type: formatType(report.types.get(v.name) ?? v.type) })),
        outputs: g.outputs.map((v) => ({
          name: v.name,
          type: formatType(report.types.get(v.name) ?? v.type),
        })),
        nodes: g.nodes.length,
        ops: Object.fromEntries([...histogram].sort((a, b) => b[1] - a[1])),
        parameters: params,
        parameterBytes: bytes,
        flops,
        flopsUnknownNodes: unknownNodes,
        unsupportedOps: unsupported,
        problems: problems.map((p) => `${p.node ? `${p.node} (${p.op}): ` : ''}${p.message}`),
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        return;
      }
      console.log(`${file}`);
      console.log(
        `  ir_version ${summary.irVersion}, opsets ${Object.entries(summary.opsets)
          .map(([d, v]) => `${d} ${v}`)
          .join(', ')}${summary.producer ? `, producer ${summary.producer}` : ''}`,
      );
      console.log('');
      printTable(
        ['', 'name', 'type'],
        [
          ...summary.inputs.map((v) => ['input', v.name, v.type]),
          ...summary.outputs.map((v) => ['output', v.name, v.type]),
        ],
      );
      console.log('');
      printTable(['op', 'count'], Object.entries(summary.ops));
      console.log('');
      console.log(`nodes:        ${summary.nodes}`);
      console.log(`parameters:   ${params.toLocaleString('en-US')} (${formatBytes(bytes)})`);
      console.log(
        `FLOPs (est.): ${formatCount(flops)}${unknownNodes ? ` (+${unknownNodes} nodes with unknown shapes)` : ''}`,
      );
      console.log(
        `unsupported:  ${unsupported.length ? unsupported.join(', ') : 'none (every op runs on the reference backend)'}`,
      );
      if (problems.length) console.log(`problems:\n${summary.problems.map((p) => `  - ${p}`).join('\n')}`);
      if (opts.ir) console.log('\n' + printModel(model));
    });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GFLOPs`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MFLOPs`;
  return `${n} FLOPs`;
}
