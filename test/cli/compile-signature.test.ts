import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSignature, parseSignatures } from '../../cli/signature-spec.js';
import { loadArtifactFile } from '../../runtime/artifact/node-fs.js';
import { runKiln } from '../helpers/cli.js';
import { CONFORMANCE_ROOT, hasConformanceData } from '../helpers/paths.js';

describe('--signature specs', () => {
  it('reads tensors, sequences and optionals', () => {
    expect(parseSignature('float32[1, 3]')).toEqual({ kind: 'tensor', dtype: 'float32', shape: [1, 3] });
    expect(parseSignature('int64[]')).toEqual({ kind: 'tensor', dtype: 'int64', shape: [] });
    expect(parseSignature('[int64[4], int64[3,2]]')).toEqual({
      kind: 'sequence',
      dtype: 'int64',
      shapes: [[4], [3, 2]],
    });
    expect(parseSignature('[]')).toEqual({ kind: 'sequence', dtype: 'float32', shapes: [] });
    expect(parseSignature('optional()')).toEqual({ kind: 'optional', value: null });
    expect(parseSignature('optional([int32[4]])')).toEqual({
      kind: 'optional',
      dtype: 'int32',
      value: { kind: 'sequence', dtype: 'int32', shapes: [[4]] },
    });
    expect([...parseSignatures(['x=float32[2]', 'o=optional(bool[])']).keys()]).toEqual(['x', 'o']);
  });

  it('refuses what it cannot read, saying what it takes', () => {
    for (const bad of [
      'float32',
      'float99[2]',
      '[float32[2],int64[2]]',
      'optional(optional())',
      '[float32[2]x]',
    ])
      expect(() => parseSignature(bad), bad).toThrow(/cannot read .*expected: a tensor 'float32\[2,3\]'/);
    expect(() => parseSignatures(['x=float32[2]', 'x=float32[3]'])).toThrow(/--signature x is given twice/);
  });
});

const CASE = join(CONFORMANCE_ROOT, 'node', 'test_sequence_insert_at_back', 'model.onnx');

describe.skipIf(!hasConformanceData)('kiln compile --signature', { timeout: 600_000 }, () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'kiln-signature-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles a sequence input for the given length and element dims', async () => {
    const out = join(dir, 'seq.kiln');
    const c = runKiln(['compile', CASE, '-o', out, '--signature', 'sequence=[int64[4],int64[3],int64[2]]']);
    expect(c.code, c.stderr).toBe(0);
    const { manifest } = await loadArtifactFile(out);
    expect(manifest.inputs.map((t) => t.name)).toEqual([
      'sequence[0]',
      'sequence[1]',
      'sequence[2]',
      'tensor',
    ]);
    expect(manifest.structuredIo!.outputs[0]).toMatchObject({ name: 'output_sequence', kind: 'sequence' });
    expect(manifest.structuredIo!.outputs[0]!.tensors).toHaveLength(4);
  });
});
