import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../../../compiler/conformance/backend.js';
import { compareValues } from '../../../compiler/conformance/compare.js';
import { wasmBackend } from '../../../compiler/conformance/wasm-backend.js';
import { OP_CASES, caseModel } from '../../helpers/op-cases.js';

describe('ops lowered for the wasm target, against the reference executor', () => {
  const wasm = wasmBackend('simd');
  it.each(OP_CASES)('$name', (c) => {
    const { model, feeds, outputs, bind } = caseModel(c);
    expect(wasm.unsupportedReason(model, { bind })).toBeUndefined();
    const ours = wasm.prepare(model, { bind }).run(feeds);
    const want = referenceBackend.prepare(caseModel(c).model).run(feeds);
    for (const o of outputs) expect(compareValues(ours.get(o), want.get(o)!), o).toBeUndefined();
  });
});
