import type { BenchReport, ModelResult } from './result.js';

/** A GitHub-flavoured markdown table; numbers right-aligned, `|` in cells escaped. */
export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const cell = (c: string | number | undefined) => String(c ?? '').replace(/\|/g, '\\|');
  const line = (r: (string | number)[]) => `| ${headers.map((_, i) => cell(r[i])).join(' | ')} |`;
  const rule = `| ${headers.map((_, i) => (numeric[i] ? '---:' : '---')).join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const ms = (r: ModelResult, engine: string): number | string => {
  const e = r.engines.find((x) => x.name === engine);
  return e ? roundMs(e.medianMs) : '–';
};

/** ms with about three significant digits (0.0423, 4.23, 42.3, 423). */
export function roundMs(x: number): number {
  return round(x, x < 1 ? 4 : x < 10 ? 2 : 1);
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The per-engine table `kiln bench` prints for one model. */
export function engineRows(r: ModelResult): { headers: string[]; rows: (string | number)[][] } {
  const headers = [
    'engine',
    'median ms',
    'p90 ms',
    'min ms',
    'first run ms',
    'load ΔRSS MB',
    'load Δext MB',
    'Kiln speedup',
    'check',
  ];
  const rows = r.engines.map((e) => [
    e.name,
    roundMs(e.medianMs),
    roundMs(e.p90Ms),
    roundMs(e.minMs),
    round(e.firstRunMs, 0),
    round(e.loadMemoryMB.rss, 1),
    round(e.loadMemoryMB.external, 1),
    r.speedup[e.name] !== undefined ? `${round(r.speedup[e.name]!, 2)}x` : '',
    e.matches === undefined ? '' : e.matches ? 'ok' : `MISMATCH`,
  ]);
  return { headers, rows };
}

const MD_HEADERS = [
  'model',
  'Kiln ms',
  'ort-web ms',
  'ort-node ms',
  'speedup vs ort-web',
  'vs ort-node',
  'compile s',
  'wasm KB',
  'arena MB',
];

/** The corpus table: one row per model (a mismatching Kiln output is marked with '!'). */
export function corpusMarkdown(report: BenchReport): string {
  const rows = report.models.map((r) => [
    r.verified ? r.model : `${r.model} (! output mismatch)`,
    ms(r, r.kiln),
    ms(r, 'ort-web'),
    ms(r, 'ort-node'),
    r.speedup['ort-web'] !== undefined ? round(r.speedup['ort-web'], 2) : '–',
    r.speedup['ort-node'] !== undefined ? round(r.speedup['ort-node'], 2) : '–',
    round(r.compile.seconds, 1),
    r.compile.wasmBytes ? round(r.compile.wasmBytes.relaxed / 1024, 0) : '–',
    round(r.compile.arenaBytes / 2 ** 20, 1),
  ]);
  const lines = [
    `# Kiln benchmark ${report.date}`,
    '',
    `Machine: ${report.machine.cores} × ${report.machine.cpus}, Node ${report.machine.node}, V8 flags ` +
      `${report.machine.v8Flags.join(' ')}, load average ${report.machine.loadAverage.map((x) => x.toFixed(2)).join(' ')}.`,
    '',
    markdownTable(MD_HEADERS, rows),
    '',
  ];
  for (const [base, g] of Object.entries(report.geomeanSpeedup)) {
    const over = report.geomeanModels?.[base];
    lines.push(
      `Geometric-mean speedup of Kiln over ${base} on the CNNs: ${round(g, 2)}x` +
        (over ? ` (${over.length} models with a Conv whose output matched: ${over.join(', ')})` : ''),
    );
  }
  if (report.skipped.length > 0) {
    lines.push('', '## Not compiled', '', ...report.skipped.map((s) => `- ${s.model}: ${s.reason}`));
  }
  lines.push(
    '',
    'Kiln ms is the relaxed-SIMD module when the engine has relaxed SIMD, else the SIMD128 one; every ' +
      'engine runs single-threaded unless stated. Times are medians over interleaved rounds; speedups are ' +
      'medians of per-round ratios (baseline ms / Kiln ms). wasm KB is the relaxed module; arena MB is the ' +
      'planned activation arena.',
    '',
    `Memory: ${report.memoryNote}`,
    '',
  );
  return lines.join('\n');
}

/** The corpus table for `--target webgpu`: Kiln's WebGPU runtime against onnxruntime-web's WebGPU EP. */
export function webGpuCorpusMarkdown(
  report: BenchReport,
  title = `Kiln WebGPU benchmark ${report.date}`,
  reference = 'onnxruntime-node',
): string {
  const base = 'ort-web-webgpu';
  const first = (r: ModelResult, engine: string) => {
    const e = r.engines.find((x) => x.name === engine);
    return e ? round(e.firstRunMs, 0) : '–';
  };
  const rows = report.models.map((r) => [
    r.verified ? r.model : `${r.model} (! output mismatch)`,
    ms(r, r.kiln),
    ms(r, base),
    r.speedup[base] !== undefined ? round(r.speedup[base], 2) : '–',
    first(r, r.kiln),
    first(r, base),
    round(r.compile.seconds, 1),
    r.compile.shaders ?? '–',
    round(r.compile.arenaBytes / 2 ** 20, 1),
  ]);
  const headers = [
    'model',
    'Kiln ms',
    `${base} ms`,
    `speedup vs ${base}`,
    'Kiln first run ms',
    `${base} first run ms`,
    'compile s',
    'shaders',
    'arena MB',
  ];
  const lines = [
    `# ${title}`,
    '',
    `Machine: ${report.machine.cores} × ${report.machine.cpus}, Node ${report.machine.node}, V8 flags ` +
      `${report.machine.v8Flags.join(' ')}, load average ${report.machine.loadAverage.map((x) => x.toFixed(2)).join(' ')}.` +
      (report.adapter ? ` WebGPU adapter: ${report.adapter}.` : ''),
    '',
    markdownTable(headers, rows),
    '',
  ];
  for (const [b, g] of Object.entries(report.geomeanSpeedup)) {
    const over = report.geomeanModels?.[b];
    lines.push(
      `Geometric-mean speedup of Kiln over ${b} on the CNNs: ${round(g, 2)}x` +
        (over ? ` (${over.length} models with a Conv whose output matched: ${over.join(', ')})` : ''),
    );
  }
  if (report.skipped.length > 0) {
    lines.push('', '## Not run', '', ...report.skipped.map((s) => `- ${s.model}: ${s.reason}`));
  }
  lines.push(
    '',
    'Both engines run on the same Dawn adapter in one Node process; every run uploads the input and ' +
      'reads every output back. Times are medians over interleaved rounds; speedups are medians of ' +
      'per-round ratios (baseline ms / Kiln ms). First run: session creation (pipelines, weights) plus ' +
      "the first inference (on lavapipe dominated by LLVM's shader compiles). Kiln's output is checked " +
      `against ${reference} at rtol/atol 1e-3 before it is timed.`,
    '',
  );
  return lines.join('\n');
}
