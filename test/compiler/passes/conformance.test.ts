import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Backend, referenceBackend } from '../../../compiler/conformance/backend.js';
import { DEFAULT_CONFORMANCE_DIRS, findCases, runCase } from '../../../compiler/conformance/runner.js';
import { runPipeline } from '../../../compiler/passes/index.js';
import { GraphExecutor } from '../../../compiler/reference/executor.js';
import { CONFORMANCE_ROOT, hasConformanceData, skipNote } from '../../helpers/paths.js';

/**
 * The ONNX backend conformance suite with the default pipeline applied before running: every case
 * must give the expected outputs as it does unoptimised (a case may fail only where the plain
 * reference backend fails too). The "_expanded" cases are function bodies written out as nodes
 * (GELU, LayerNorm, HardSwish ...), so they exercise the pattern passes on exporter-like graphs.
 */
const optimised: Backend = {
  name: 'reference+passes',
  unsupportedReason: referenceBackend.unsupportedReason,
  prepare(model) {
    runPipeline(model);
    const exec = GraphExecutor.forModel(model);
    return { run: (feeds) => exec.run(model.graph, feeds) };
  },
};

const cases = hasConformanceData ? DEFAULT_CONFORMANCE_DIRS.flatMap(findCases) : [];

describe.skipIf(!hasConformanceData)(
  skipNote('ONNX conformance after the default pipeline', CONFORMANCE_ROOT),
  () => {
    for (const path of cases) {
      const id = `${basename(join(path, '..'))}/${basename(path)}`;
      it(id, (ctx) => {
        const r = runCase(path, optimised);
        if (r.status === 'unsupported') {
          ctx.skip(r.reason);
          return;
        }
        if (r.status === 'pass') return;
        const plain = runCase(path, referenceBackend);
        expect(plain.status, `fails only after the passes: ${r.reason}`).toBe('fail');
      });
    }
  },
);
