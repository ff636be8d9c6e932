import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import {
  type CaseResult,
  DEFAULT_CONFORMANCE_DIRS,
  findCases,
  runCase,
  summarize,
} from '../../../compiler/conformance/runner.js';
import { wasmBackend } from '../../../compiler/conformance/wasm-backend.js';
import { CONFORMANCE_ROOT, PROJECT_ROOT, hasConformanceData, skipNote } from '../../helpers/paths.js';

/**
 * The ONNX backend conformance suite on the wasm target (relaxed-SIMD module). A case the lowering
 * refuses is unsupported (skipped, with the compile error); every case it compiles must match the
 * expected outputs, except the known failures listed with their reasons in known-failures.json — a
 * listed case that starts passing fails this test so the list stays true.
 */
const known = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'test/targets/wasm/known-failures.json'), 'utf8'),
) as Record<string, string>;

const cases = hasConformanceData ? DEFAULT_CONFORMANCE_DIRS.flatMap(findCases) : [];
const idOf = (path: string) => `${basename(join(path, '..'))}/${basename(path)}`;
const wasm = wasmBackend('relaxed');
const results: CaseResult[] = [];

describe.skipIf(!hasConformanceData)(skipNote('ONNX conformance, wasm backend', CONFORMANCE_ROOT), () => {
  for (const path of cases) {
    const id = idOf(path);
    it(id, (ctx) => {
      const r = runCase(path, wasm);
      results.push(r);
      if (r.status === 'unsupported') {
        ctx.skip(r.reason);
        return;
      }
      if (known[id]) {
        expect(r.status, `${id} now passes: remove it from known-failures.json`).toBe('fail');
        return;
      }
      expect(r.status, r.reason).toBe('pass');
    });
  }

  it('every known failure names a case of the suite', () => {
    const ids = new Set(cases.map(idOf));
    expect(Object.keys(known).filter((k) => !ids.has(k))).toEqual([]);
  });

  it('compiles and passes a floor of the suite (guards against lowering silently refusing more)', () => {
    expect(results.length).toBe(cases.length);
    expect(summarize(results).passed).toBeGreaterThanOrEqual(PASS_FLOOR);
  });
});

/** Cases the wasm backend passed when this floor was set; raise it as coverage grows. */
const PASS_FLOOR = 509;

describe.skipIf(!hasConformanceData)(skipNote('wasm backend: both module variants', CONFORMANCE_ROOT), () => {
  // Cases whose kernels differ between the variants (GEMM with and without FMA) or use SIMD math.
  const sample = [
    'node/test_gemm_default_matrix_bias',
    'node/test_matmul_4d',
    'node/test_softmax_axis_1',
    'node/test_reduce_l2_keep_dims_random',
    'node/test_sin',
    'pytorch-converted/test_Linear',
  ];
  for (const variant of ['simd', 'relaxed'] as const) {
    it.each(sample)(`${variant}: %s passes`, (id) => {
      const r = runCase(join(CONFORMANCE_ROOT, id), wasmBackend(variant));
      expect(r.status, r.reason).toBe('pass');
    });
  }

  it('a model the lowering refuses is unsupported with the compile error as the reason', () => {
    // The reference runs it; the wasm target refuses its int64 indices input at compile time.
    const path = join(CONFORMANCE_ROOT, 'node/test_gather_0');
    expect(runCase(path, referenceBackend).status).toBe('pass');
    const r = runCase(path, wasmBackend('simd'));
    expect(r.status).toBe('unsupported');
    expect(r.reason).toMatch(/int64/);
  });
});
