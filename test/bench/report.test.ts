import { describe, expect, it } from 'vitest';
import {
  corpusMarkdown,
  engineRows,
  markdownTable,
  roundMs,
  webGpuCorpusMarkdown,
} from '../../bench/report.js';
import type { BenchReport, ModelResult } from '../../bench/result.js';

describe('bench report formatting', () => {
  it('markdown table: right-aligned numeric columns, escaped pipes', () => {
    expect(
      markdownTable(
        ['model', 'ms'],
        [
          ['a|b', 1.5],
          ['c', 20],
        ],
      ),
    ).toBe(['| model | ms |', '| --- | ---: |', '| a\\|b | 1.5 |', '| c | 20 |'].join('\n'));
  });

  it('a column with any text is left-aligned', () => {
    expect(markdownTable(['x'], [[1], ['–']]).split('\n')[1]).toBe('| --- |');
  });

  const engine = (name: string, medianMs: number) => ({
    name,
    medianMs,
    p90Ms: medianMs,
    minMs: medianMs,
    samplesMs: [medianMs],
    firstRunMs: 0,
    loadMs: 0,
    loadMemoryMB: { rss: 0, heapUsed: 0, external: 0 },
  });
  const result = (model: string, verified: boolean): ModelResult => ({
    model,
    file: `${model}.onnx`,
    cnn: true,
    inputs: 'test_data_set_0',
    compile: {
      seconds: 1.234,
      wasmBytes: { simd: 2048, relaxed: 3072 },
      arenaBytes: 3 * 2 ** 20,
      naiveArenaBytes: 9 * 2 ** 20,
      memoryBytes: 0,
    },
    threads: 1,
    warmup: 1,
    runs: 1,
    engines: [engine('kiln-relaxed', 10), engine('ort-web', 20), engine('ort-node', 5)],
    kiln: 'kiln-relaxed',
    speedup: { 'ort-web': 2, 'ort-node': 0.5 },
    verified,
    peakRssMB: 0,
  });

  it('corpus markdown: one row per model, mismatches marked, geomean and skipped models listed', () => {
    const report: BenchReport = {
      date: '2026-01-02',
      machine: { cpus: 'CPU', cores: 2, loadAverage: [1, 2, 3], node: '20.0.0', v8Flags: ['--no-liftoff'] },
      memoryNote: 'rss deltas',
      models: [result('resnet', true), result('bad', false)],
      skipped: [{ model: 'lstm', file: 'lstm.onnx', reason: 'not compiled: op LSTM' }],
      geomeanSpeedup: { 'ort-web': 2 },
    };
    const md = corpusMarkdown(report);
    expect(md).toContain('| resnet | 10 | 20 | 5 | 2 | 0.5 | 1.2 | 3 | 3 |');
    expect(md).toContain('| bad (! output mismatch) | 10 |');
    expect(md).toContain('Geometric-mean speedup of Kiln over ort-web on the CNNs: 2x');
    expect(md).toContain('- lstm: not compiled: op LSTM');
    expect(md).toContain('load average 1.00 2.00 3.00');
  });

  it('webgpu corpus markdown: Kiln against the WebGPU EP, first runs, shaders, the adapter', () => {
    const gpu = (model: string, verified: boolean): ModelResult => ({
      ...result(model, verified),
      target: 'webgpu',
      compile: { seconds: 1.234, shaders: 57, arenaBytes: 3 * 2 ** 20, naiveArenaBytes: 0, memoryBytes: 0 },
      engines: [
        { ...engine('kiln-webgpu', 4), firstRunMs: 300.4 },
        { ...engine('ort-web-webgpu', 6), firstRunMs: 900 },
      ],
      kiln: 'kiln-webgpu',
      speedup: { 'ort-web-webgpu': 1.5 },
    });
    const md = webGpuCorpusMarkdown({
      date: '2026-01-02',
      target: 'webgpu',
      adapter: 'nvidia, hopper',
      machine: {
        cpus: 'CPU',
        cores: 16,
        loadAverage: [0, 0, 0],
        node: '20.0.0',
        v8Flags: ['--liftoff-only'],
      },
      memoryNote: '',
      models: [gpu('squeezenet', true), gpu('bad', false)],
      skipped: [],
      geomeanSpeedup: { 'ort-web-webgpu': 1.5 },
      geomeanModels: { 'ort-web-webgpu': ['squeezenet'] },
    });
    expect(md).toContain('| model | Kiln ms | ort-web-webgpu ms | speedup vs ort-web-webgpu |');
    expect(md).toContain('| squeezenet | 4 | 6 | 1.5 | 300 | 900 | 1.2 | 57 | 3 |');
    expect(md).toContain('| bad (! output mismatch) | 4 |');
    expect(md).toContain('WebGPU adapter: nvidia, hopper.');
    expect(md).toContain(
      'over ort-web-webgpu on the CNNs: 1.5x (1 models with a Conv whose output matched: squeezenet)',
    );
  });
});

describe('roundMs', () => {
  it('keeps about three significant digits', () => {
    expect([0.04236, 4.236, 42.36, 423.6].map(roundMs)).toEqual([0.0424, 4.24, 42.4, 423.6]);
  });
});

describe('engineRows', () => {
  it('has one cell per header', () => {
    const r = {
      engines: [
        {
          name: 'kiln-simd',
          medianMs: 1,
          p90Ms: 2,
          minMs: 0.5,
          samplesMs: [1],
          firstRunMs: 3,
          loadMs: 1,
          loadMemoryMB: { rss: 1, heapUsed: 0, external: 2 },
          matches: true,
        },
        {
          name: 'ort-web',
          medianMs: 2,
          p90Ms: 2,
          minMs: 2,
          samplesMs: [2],
          firstRunMs: 3,
          loadMs: 1,
          loadMemoryMB: { rss: 1, heapUsed: 0, external: 2 },
        },
      ],
      speedup: { 'ort-web': 2 },
    } as unknown as ModelResult;
    const { headers, rows } = engineRows(r);
    for (const row of rows) expect(row).toHaveLength(headers.length);
    expect(rows[1]![headers.indexOf('Kiln speedup')]).toBe('2x');
    expect(rows[0]![headers.indexOf('check')]).toBe('ok');
  });
});
