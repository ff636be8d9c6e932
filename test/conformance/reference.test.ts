import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../compiler/conformance/backend.js';
import { summarize } from '../../compiler/conformance/runner.js';
import { conformanceCases, declareConformanceCases } from '../helpers/conformance-suite.js';
import { CONFORMANCE_ROOT, hasConformanceData, skipNote } from '../helpers/paths.js';

/**
 * The ONNX backend conformance suite on the reference backend. Every implemented case must pass,
 * except the known failures listed (with their reasons) in known-failures.json. Unsupported cases are
 * reported as skipped.
 */
const cases = conformanceCases();

describe.skipIf(!hasConformanceData)(
  skipNote('ONNX backend conformance, reference backend', CONFORMANCE_ROOT),
  () => {
    const results = declareConformanceCases(referenceBackend, 'test/conformance/known-failures.json', cases);

    it('meets the coverage bar: >= 85% of all cases and >= 98% of implemented cases pass', () => {
      expect(results.length).toBe(cases.length);
      const s = summarize(results);
      const implemented = s.passed + s.failed;
      expect(s.passed / s.total).toBeGreaterThanOrEqual(0.85);
      expect(s.passed / implemented).toBeGreaterThanOrEqual(0.98);
    });
  },
);
