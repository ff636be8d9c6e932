/** The ONNX backend conformance cases as one vitest case each, for any backend (reference, wasm, webgpu). */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect, it } from 'vitest';
import type { AnyBackend } from '../../compiler/conformance/backend.js';
import {
  type CaseResult,
  DEFAULT_CONFORMANCE_DIRS,
  findCases,
  runCaseAsync,
} from '../../compiler/conformance/runner.js';
import { PROJECT_ROOT, hasConformanceData } from './paths.js';

export const conformanceCases = (): string[] =>
  hasConformanceData ? DEFAULT_CONFORMANCE_DIRS.flatMap(findCases) : [];

/** `suite/case`, the id known-failures files use. */
export const caseId = (path: string): string => `${basename(join(path, '..'))}/${basename(path)}`;

/**
 * Declares (inside a describe) one test per case: a case the backend refuses is skipped with its
 * reason; every other case must pass, except the known failures in `knownFailuresFile` (relative to
 * the project root; id → reason) — a listed case that starts passing fails, so the list stays true.
 * Returns the results array the tests fill, for coverage checks declared after it.
 */
export function declareConformanceCases(
  backend: AnyBackend,
  knownFailuresFile: string,
  cases = conformanceCases(),
): CaseResult[] {
  const known = JSON.parse(readFileSync(join(PROJECT_ROOT, knownFailuresFile), 'utf8')) as Record<
    string,
    string
  >;
  const results: CaseResult[] = [];
  for (const path of cases) {
    const id = caseId(path);
    it(id, async (ctx) => {
      const r = await runCaseAsync(path, backend);
      results.push(r);
      if (r.status === 'unsupported') {
        ctx.skip(r.reason);
        return;
      }
      if (known[id]) {
        expect(r.status, `${id} now passes: remove it from ${knownFailuresFile}`).toBe('fail');
        return;
      }
      expect(r.status, r.reason).toBe('pass');
    });
  }
  it(`every case listed in ${knownFailuresFile} is in the suite`, () => {
    const ids = new Set(cases.map(caseId));
    expect(Object.keys(known).filter((k) => !ids.has(k))).toEqual([]);
  });
  return results;
}
