import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import { runCase, summarize } from '../../../compiler/conformance/runner.js';
import { wasmBackend } from '../../../compiler/conformance/wasm-backend.js';
import { conformanceCases, declareConformanceCases } from '../../helpers/conformance-suite.js';
import { CONFORMANCE_ROOT, hasConformanceData, skipNote } from '../../helpers/paths.js';

/**
 * The ONNX backend conformance suite on the wasm target (relaxed-SIMD module). A case the lowering
 * refuses is unsupported (skipped, with the compile error); every case it compiles must match the
 * expected outputs, except the known failures listed with their reasons in known-failures.json.
 */
const cases = conformanceCases();

describe.skipIf(!hasConformanceData)(skipNote('ONNX conformance, wasm backend', CONFORMANCE_ROOT), () => {
  const results = declareConformanceCases(
    wasmBackend('relaxed'),
    'test/targets/wasm/known-failures.json',
    cases,
  );

  it('compiles and passes a floor of the suite (guards against lowering silently refusing more)', () => {
    expect(results.length).toBe(cases.length);
    const summary = summarize(results);
    // the measured figures, for the CI log (the floor only guards against regressions)
    console.log(`wasm conformance: ${JSON.stringify(summary)}`);
    expect(summary.passed).toBeGreaterThanOrEqual(PASS_FLOOR);
    expect(summary.passedWithBoundInputs).toBeGreaterThanOrEqual(BOUND_PASS_FLOOR);
  });
});

/**
 * Cases the wasm backend passed when this floor was set; raise it as coverage grows. 1010 of 1072 (138
 * of them only with shape-deciding inputs bound or sequence/optional input structure fixed: 97.6% of
 * the reference's 1035) with sequences and optionals crossing the graph boundary (978 alone), the
 * integer/quantized ops, 8-bit MaxPool and its Indices, ReverseSequence, Upsample, a fed Pad value
 * (966 alone), training-mode Dropout/BatchNormalization, Compress, STFT, MelWeightMatrix (964 alone);
 * 949 (104 bound) before them, with both the unrolling passes and, measured apart,
 * 928 (99 bound) after OneHot, TopK, integer Pow, the window ops,
 * uint64 Max/Min/Mod, MaxUnpool, Det, GridSample, DFT and float16; 877 (85 bound) before them and
 * before RNN/GRU/LSTM, If, Loop, Scan and static sequences were unrolled by graph passes; 792 before
 * the runner bound shape-deciding inputs (kiln compile --bind).
 */
const PASS_FLOOR = 1010;
const BOUND_PASS_FLOOR = 138;

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
    const path = join(CONFORMANCE_ROOT, 'node/test_roialign_aligned_false');
    expect(runCase(path, referenceBackend).status).toBe('pass');
    const r = runCase(path, wasmBackend('simd'));
    expect(r.status).toBe('unsupported');
    expect(r.reason).toMatch(/op RoiAlign cannot be lowered for the wasm target/);
  });

  it('binds the graph inputs that decide shapes to the case values, and says so in the result', () => {
    // Reshape's shape is a graph input: the reference runs it as is, the wasm target binds it
    const path = join(CONFORMANCE_ROOT, 'node/test_reshape_negative_dim');
    const ref = runCase(path, referenceBackend);
    expect(ref.status).toBe('pass');
    expect(ref.bound).toBeUndefined();
    const r = runCase(path, wasmBackend('simd'));
    expect(r.status, r.reason).toBe('pass');
    expect(r.bound).toEqual(['shape']);
    expect(summarize([ref, r])).toMatchObject({ passed: 2, passedWithBoundInputs: 1 });
  });
});
