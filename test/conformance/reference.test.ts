import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../compiler/conformance/backend.js';
import {
  type CaseResult,
  DEFAULT_CONFORMANCE_DIRS,
  findCases,
  runCase,
  summarize,
} from '../../compiler/conformance/runner.js';
import { CONFORMANCE_ROOT, PROJECT_ROOT, hasConformanceData, skipNote } from '../helpers/paths.js';

/**
 * The ONNX backend conformance suite on the reference backend. Every implemented case must pass,
 * except the known failures listed (with their reasons) in known-failures.json; a listed case that
 * starts passing fails this test so the list stays true. Unsupported cases are reported as skipped.
 */
const known = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'test/conformance/known-failures.json'), 'utf8'),
) as Record<string, string>;

const cases = hasConformanceData ? DEFAULT_CONFORMANCE_DIRS.flatMap(findCases) : [];
const results: CaseResult[] = [];

describe.skipIf(!hasConformanceData)(
  skipNote('ONNX backend conformance, reference backend', CONFORMANCE_ROOT),
  () => {
    for (const path of cases) {
      const suite = basename(join(path, '..'));
      const id = `${suite}/${basename(path)}`;
      it(id, (ctx) => {
        const r = runCase(path, referenceBackend);
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

    it('meets the coverage bar: >= 85% of all cases and >= 98% of implemented cases pass', () => {
      expect(results.length).toBe(cases.length);
      const s = summarize(results);
      const implemented = s.passed + s.failed;
      expect(s.passed / s.total).toBeGreaterThanOrEqual(0.85);
      expect(s.passed / implemented).toBeGreaterThanOrEqual(0.98);
    });
  },
);
