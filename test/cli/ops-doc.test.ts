import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registeredOps } from '../../compiler/reference/registry.js';
import { opsMarkdown } from '../../cli/ops.js';
import { PROJECT_ROOT } from '../helpers/paths.js';

describe('docs/ops.md', () => {
  it('is in step with the op registry (regenerate with `npm run kiln -- ops --markdown > docs/ops.md`)', () => {
    expect(readFileSync(join(PROJECT_ROOT, 'docs/ops.md'), 'utf8')).toBe(opsMarkdown());
  });

  it('every registered op declares a sane opset range', () => {
    for (const o of registeredOps()) {
      expect(o.versions[0], o.op).toBeGreaterThanOrEqual(1);
      expect(o.versions[1], o.op).toBeGreaterThanOrEqual(o.versions[0]);
      expect(o.versions[1], o.op).toBeLessThanOrEqual(22);
    }
  });
});
