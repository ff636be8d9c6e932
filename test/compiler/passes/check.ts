/** Pass tests: run a pass on a fresh copy of a model and compare reference outputs before and after. */
import { expect } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import type { Model } from '../../../compiler/ir/graph.js';
import { verifyModel } from '../../../compiler/ir/verify.js';
import type { Pass, PassResult } from '../../../compiler/passes/index.js';
import { ReferenceSession } from '../../../compiler/reference/session.js';
import type { Tensor } from '../../../runtime/tensor.js';

export const PASS_TOLERANCE = { rtol: 1e-5, atol: 1e-5 };

export function run(m: Model, feeds: Record<string, Tensor>): Record<string, Tensor> {
  return ReferenceSession.create(m).run(feeds) as Record<string, Tensor>;
}

/**
 * Build the model twice (`make` must return a fresh model each call), apply `pass` to one, check the
 * result is a valid model and that both give the same outputs on `feeds`. Returns the optimised
 * model and the pass result for structural assertions.
 */
export function applyAndCompare(
  make: () => Model,
  pass: Pass,
  feeds: Record<string, Tensor>,
): { model: Model; result: PassResult } {
  const before = run(make(), feeds);
  const model = make();
  const result = pass(model);
  expect(verifyModel(model)).toEqual([]);
  const after = run(model, feeds);
  expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  for (const [name, t] of Object.entries(before)) {
    expect(compareTensors(after[name]!, t, PASS_TOLERANCE), `output ${name}`).toBeUndefined();
  }
  return { model, result };
}

/** Node ops in order, kiln ones as 'kiln.Op'. */
export function ops(m: Model): string[] {
  return m.graph.nodes.map((n) => (n.domain ? `${n.domain}.${n.op}` : n.op));
}
