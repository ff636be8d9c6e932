import { Command, Option } from 'commander';
import { BACKEND_NAMES, type BackendName } from '../compiler/conformance/backend-names.js';
import { DEFAULT_CONFORMANCE_DIRS, byOp, runConformanceAsync } from '../compiler/conformance/runner.js';
import { KilnError } from '../runtime/errors.js';
import { printTable } from './table.js';

export function conformanceCommand(): Command {
  return new Command('conformance')
    .description(
      'run ONNX backend conformance test cases and report pass/fail/unsupported per case and per op',
    )
    .argument('[dirs...]', 'a case folder, a folder of cases, or a tree of them', DEFAULT_CONFORMANCE_DIRS)
    .addOption(new Option('--backend <name>', 'backend to test').choices(BACKEND_NAMES).default('reference'))
    .option('--filter <regex>', 'only cases whose folder name matches')
    .option('--json', 'print one JSON document {summary, cases} instead of tables')
    .option('--failures', 'list every failing and unsupported case with its reason')
    .option('--quiet', 'no progress output')
    .action(
      async (
        dirs: string[],
        opts: { backend: BackendName; filter?: string; json?: boolean; failures?: boolean; quiet?: boolean },
      ) => {
        // the backends bring their compilers (binaryen, Dawn): loaded only when a run needs them
        const { BACKENDS } = await import('../compiler/conformance/backend.js');
        const backend = BACKENDS[opts.backend];
        let filter: RegExp | undefined;
        if (opts.filter) {
          try {
            filter = new RegExp(opts.filter);
          } catch (err) {
            throw new KilnError(`--filter is not a valid regular expression: ${(err as Error).message}`);
          }
        }
        const progress = !opts.quiet && process.stderr.isTTY;
        const report = await runConformanceAsync(dirs, backend, {
          filter,
          onCase: (r, i, n) => {
            if (progress)
              process.stderr.write(
                `\r[${i + 1}/${n}] ${r.status.padEnd(11)} ${r.name.slice(0, 60).padEnd(60)}`,
              );
          },
        });
        if (progress) process.stderr.write('\r' + ' '.repeat(90) + '\r');
        if (opts.json) {
          process.stdout.write(JSON.stringify(report, null, 2) + '\n');
          return;
        }
        const rows = [...byOp(report.cases)].map(([op, s]) => [
          op,
          s.passed,
          s.failed,
          s.unsupported,
          s.total,
        ]);
        printTable(['op', 'pass', 'fail', 'unsupported', 'total'], rows);
        if (opts.failures) {
          const bad = report.cases.filter((c) => c.status !== 'pass');
          if (bad.length) {
            console.log('');
            printTable(
              ['case', 'status', 'reason'],
              bad.map((c) => [c.name, c.status, (c.reason ?? '').slice(0, 160)]),
            );
          }
        }
        const s = report.summary;
        const implemented = s.passed + s.failed;
        const bound = s.passedWithBoundInputs
          ? ` (${s.passedWithBoundInputs} passed with bound shape inputs: compiled with the case's values of the inputs that decide shapes, as with kiln compile --bind)`
          : '';
        console.log(
          `\n${s.passed} passed${bound}, ${s.failed} failed, ${s.unsupported} unsupported, ${s.total} total` +
            ` (${pct(s.passed, s.total)} of all; ${pct(s.passed, implemented)} of implemented)`,
        );
      },
    );
}

function pct(a: number, b: number): string {
  return b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a';
}
