import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../../cli/program.js';
import { tinyOnnx } from './fixtures.js';

/** Run the CLI in this process (spawning tsx per command is slow), capturing what it prints. */
async function kiln(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation(
    (s: string | Uint8Array) => (out.push(String(s)), true),
  );
  const code = await main(['node', 'kiln', ...args]);
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

describe('kiln registry and kiln keys commands', () => {
  it('have --help on every subcommand', () => {
    const program = buildProgram();
    for (const name of ['registry', 'keys']) {
      const cmd = program.commands.find((c) => c.name() === name)!;
      const walk = (c: Command): void => {
        expect(c.description(), c.name()).not.toBe('');
        expect(c.helpInformation()).toMatch(/^Usage: /);
        c.commands.forEach(walk);
      };
      walk(cmd);
      expect(cmd.commands.map((c) => c.name())).toEqual(
        expect.arrayContaining(
          name === 'registry'
            ? [
                'add',
                'compile',
                'list',
                'show',
                'alias',
                'approve',
                'reject',
                'diff',
                'export',
                'import',
                'verify',
              ]
            : ['generate', 'list', 'revoke'],
        ),
      );
    }
  });

  it('add, alias, approve, show --json and list; bad input ends with exit code 1 and the reason', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kiln-cli-registry-'));
    const model = join(home, 'm.onnx');
    writeFileSync(model, tinyOnnx());
    const metrics = join(home, 'metrics.json');
    writeFileSync(metrics, '{"accuracy": 0.5}');
    const r = (...args: string[]) => kiln(['registry', '--home', home, ...args]);
    expect((await r('add', model, '--name', 'm', '--metrics', metrics, '--dataset', 'd1')).stdout).toMatch(
      /added m@1/,
    );
    expect((await r('alias', 'm@1', 'production')).stdout).toMatch(/m@production → 1/);
    expect((await r('approve', 'm@production', '--reason', 'ok')).stdout).toMatch(/approved/);
    const shown = JSON.parse((await r('show', 'm@production', '--json')).stdout);
    expect(shown).toMatchObject({
      version: 1,
      metrics: { accuracy: 0.5 },
      approval: { status: 'approved' },
      lineage: { dataset: 'd1' },
    });
    expect((await r('list')).stdout).toMatch(/m\s+1\s+production→1/);

    const text = join(home, 'notes.txt');
    writeFileSync(text, 'not a model at all');
    const bad = await r('add', text, '--name', 'm');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not an ONNX model/);
    const missing = await r('show', 'm@7');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no version 7/);
    const badMetrics = join(home, 'bad.json');
    writeFileSync(badMetrics, '{"accuracy": "high"}');
    expect((await r('add', model, '--name', 'm', '--metrics', badMetrics)).stderr).toMatch(
      /accuracy: expected a finite number/,
    );
    expect((await r('reject', 'm@1')).stderr).toMatch(/needs a reason/);
    expect((await r('compile', 'm@1', '--target', 'wasm')).stderr).toMatch(
      /no signing key.*kiln keys generate/,
    );

    // signed end to end: compile, pull, run with a trust store; revoked key → refused
    const k = (...args: string[]) => kiln(['keys', '--home', home, ...args]);
    expect((await k('generate')).code).toBe(0);
    expect((await r('compile', 'm@1', '--target', 'wasm')).stdout).toMatch(/compiled m@1 for wasm/);
    const artifact = join(home, 'm.kiln');
    const trust = join(home, 'trust.json');
    expect((await r('pull', 'm@production', '--target', 'wasm', '-o', artifact)).code).toBe(0);
    expect((await k('export-trust', '-o', trust)).code).toBe(0);
    const out = join(home, 'out');
    expect((await kiln(['run', artifact, '--trust', trust, '-o', out])).code).toBe(0);
    const keyId = JSON.parse((await k('list', '--json')).stdout)[0].keyId;
    expect((await k('revoke', keyId, '--reason', 'test')).code).toBe(0);
    expect((await k('export-trust', '-o', trust)).code).toBe(0);
    const refused = await kiln(['run', artifact, '--trust', trust, '-o', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/signed by revoked key/);
  });
});
