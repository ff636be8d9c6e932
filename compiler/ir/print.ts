import type { Attribute, Graph, Model, ValueInfo } from './graph.js';
import { formatType } from './infer.js';

/** A readable text form of a model, for `kiln inspect --ir` and pass dumps. */
export function printModel(model: Model): string {
  const opsets = [...model.opsetImports].map(([d, v]) => `${d || 'ai.onnx'}=${v}`).join(', ');
  const head = `model ir_version=${model.irVersion} opsets(${opsets})${model.producerName ? ` producer=${model.producerName} ${model.producerVersion}` : ''}`;
  return `${head}\n${printGraph(model.graph, 0)}`;
}

export function printGraph(g: Graph, indent = 0): string {
  const pad = '  '.repeat(indent);
  const lines: string[] = [`${pad}graph ${g.name || '(unnamed)'} {`];
  const typeOf = (name: string) => g.valueInfo.get(name)?.type;
  for (const v of g.inputs) lines.push(`${pad}  input  ${valueText(v)}`);
  for (const [name, t] of g.initializers) {
    if (g.inputs.some((v) => v.name === name)) continue;
    lines.push(`${pad}  init   ${name}: ${t.dtype}[${t.shape.join(',')}]`);
  }
  for (const n of g.nodes) {
    const outs = n.outputs
      .map((o) => (o ? `${o}: ${formatType(typeOf(o) ?? g.outputs.find((x) => x.name === o)?.type)}` : '_'))
      .join(', ');
    const attrs = Object.entries(n.attrs).filter(([, a]) => a.type !== 'graph' && a.type !== 'graphs');
    const attrText = attrs.length ? ` {${attrs.map(([k, a]) => `${k}=${attrValueText(a)}`).join(', ')}}` : '';
    const op = n.domain ? `${n.domain}.${n.op}` : n.op;
    lines.push(
      `${pad}  ${outs} = ${op}(${n.inputs.map((i) => i || '_').join(', ')})${attrText}  # ${n.name}`,
    );
    for (const [k, a] of Object.entries(n.attrs)) {
      const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const sg of subs) {
        lines.push(`${pad}    ${k}:`);
        lines.push(printGraph(sg, indent + 3));
      }
    }
  }
  for (const v of g.outputs) lines.push(`${pad}  output ${valueText(v)}`);
  lines.push(`${pad}}`);
  return lines.join('\n');
}

function valueText(v: ValueInfo): string {
  if (v.kind && v.kind !== 'tensor') return `${v.name}: ${v.kind}`;
  return `${v.name}: ${formatType(v.type)}`;
}

function attrValueText(a: Attribute): string {
  switch (a.type) {
    case 'tensor':
    case 'sparse_tensor': {
      const t = a.value;
      if (t.size <= 8)
        return `${t.dtype}[${t.shape.join(',')}](${Array.from(t.data as ArrayLike<unknown>).join(',')})`;
      return `${t.dtype}[${t.shape.join(',')}]`;
    }
    case 'floats':
    case 'ints':
      return `[${a.value.join(',')}]`;
    case 'strings':
      return `[${a.value.map((s) => JSON.stringify(s)).join(',')}]`;
    case 'string':
      return JSON.stringify(a.value);
    case 'tensors':
      return `<${a.value.length} tensors>`;
    case 'type_proto':
    case 'type_protos':
      return '<type>';
    case 'ref':
      return `@${a.value}`;
    default:
      return String(a.value);
  }
}
