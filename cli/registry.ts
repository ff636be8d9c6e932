import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { readArtifact, writeArtifact } from '../runtime/artifact/artifact.js';
import { saveArtifactFile } from '../runtime/artifact/node-fs.js';
import { KilnError } from '../runtime/errors.js';
import { aliasHistory, setAlias } from '../registry/aliases.js';
import { decide } from '../registry/approvals.js';
import { addBenchmark, listBenchmarks, listDeployments } from '../registry/benchmarks.js';
import { exportBundle, importBundle } from '../registry/bundle.js';
import { checkIntegrity, collectGarbage } from '../registry/check.js';
import { describeTensor, diffVersions } from '../registry/diff.js';
import { parseVersionRef } from '../registry/refs.js';
import { REGISTRY_TARGETS } from '../registry/targets.js';
import { compileVariant, listVariants, variantFor } from '../registry/variants.js';
import { verifyVersion } from '../registry/verify.js';
import { addVersion, checkLineage, getVersion, listModels, listVersions } from '../registry/versions.js';
import { formatBytes } from './inspect.js';
import { registryServeCommand, registryTokenCommand } from './registry-serve.js';
import { addRegistryOptions, output, shortSha, withRegistry } from './registry-shared.js';
import { printTable } from './table.js';

type Json = { json?: boolean };

function readJsonFile(path: string | undefined, what: string): unknown {
  if (path === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new KilnError(`cannot read ${what}: ${(err as Error).message}`, {
      file: path,
      expected: 'a JSON file',
    });
  }
}

function parseTags(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  return Object.fromEntries(
    list.map((t) => {
      const eq = t.indexOf('=');
      if (eq < 1) throw new KilnError(`invalid tag '${t}'`, { expected: 'KEY=VALUE' });
      return [t.slice(0, eq), t.slice(eq + 1)];
    }),
  );
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registryCommand(): Command {
  const registry = addRegistryOptions(
    new Command('registry').description(
      'model registry: versions, lineage, aliases, approvals, signed compiled variants',
    ),
  );

  registry
    .command('add')
    .description('add an ONNX model as the next version of NAME (the model is created if new)')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--name <name>', 'model name')
    .option('--metrics <file>', 'JSON object of numbers, e.g. {"accuracy": 0.91}')
    .option('--params <file>', 'JSON object of training parameters')
    .option('--description <text>', 'model description')
    .option('--tag <key=value>', 'model tag (repeatable)', collect)
    .option('--parent <version>', 'the version this one was derived from (lineage)', (v) => Number(v))
    .option('--dataset <ref>', 'dataset reference (lineage)')
    .option('--run <ref>', 'training run reference, e.g. an MLflow run id (lineage)')
    .option('--json', 'print JSON')
    .action(
      async (
        file: string,
        o: Json & Record<string, string | number | string[] | undefined>,
        cmd: Command,
      ) => {
        try {
          if (!statSync(file).isFile()) throw new Error('not a file');
        } catch (err) {
          throw new KilnError(`cannot read model: ${(err as Error).message}`, {
            file,
            expected: 'an ONNX model file',
          });
        }
        const lineage = checkLineage({
          ...(o.parent !== undefined ? { parentVersion: o.parent as number } : {}),
          ...(o.dataset ? { dataset: o.dataset as string } : {}),
          ...(o.run ? { trainingRun: o.run as string } : {}),
        });
        await withRegistry(cmd, async (reg) => {
          const v = await addVersion(reg, {
            name: o.name as string,
            source: createReadStream(file),
            sourceName: basename(file),
            metrics: readJsonFile(o.metrics as string | undefined, 'metrics') as
              Record<string, number> | undefined,
            params: readJsonFile(o.params as string | undefined, 'params') as
              Record<string, unknown> | undefined,
            ...(o.description !== undefined ? { description: o.description as string } : {}),
            ...(o.tag ? { tags: parseTags(o.tag as string[]) } : {}),
            lineage,
          });
          output(o.json, v, () =>
            console.log(
              `added ${v.model}@${v.version} (source ${shortSha(v.source.sha256)}, ${formatBytes(v.source.bytes)}, ${v.approval.status})`,
            ),
          );
        });
      },
    );

  registry
    .command('compile')
    .description('compile a version for a target, store the artifact and sign its manifest')
    .argument('<ref>', 'NAME@VERSION or NAME@ALIAS')
    .addOption(
      new Option('--target <name>', 'target').choices(Object.keys(REGISTRY_TARGETS)).makeOptionMandatory(),
    )
    .option('--passes <list>', "comma-separated graph passes ('' for none)")
    .option('--no-optimize', "skip binaryen's optimiser (wasm)")
    .option('--key <file>', 'private key to sign with (default: the newest key in <home>/keys)')
    .option('--force', 'replace an existing variant for this target')
    .option('--json', 'print JSON')
    .action(
      async (
        text: string,
        o: Json & { target: string; passes?: string; optimize: boolean; key?: string; force?: boolean },
        cmd: Command,
      ) =>
        withRegistry(cmd, async (reg) => {
          const v = await compileVariant(reg, parseVersionRef(text), {
            target: o.target,
            ...(o.passes !== undefined ? { passes: o.passes.split(',').filter(Boolean) } : {}),
            ...(o.optimize === false ? { optimize: false } : {}),
            ...(o.key ? { keyFile: o.key } : {}),
            ...(o.force ? { force: true } : {}),
          });
          output(o.json, v, () =>
            console.log(
              `compiled ${v.model}@${v.version} for ${v.target} (${[v.precision, ...v.features].join(', ')}): artifact ${shortSha(v.artifact.sha256)}, ${formatBytes(v.artifact.bytes)}, signed by ${v.signatures.map((s) => s.keyId).join(', ')}`,
            ),
          );
        }),
    );

  registry
    .command('list')
    .description('models (or the versions of one model)')
    .argument('[name]', 'a model name')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, o: Json, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        if (!name) {
          const models = await listModels(reg);
          output(o.json, models, () =>
            printTable(
              ['model', 'versions', 'aliases', 'description'],
              models.map((m) => [
                m.name,
                m.latestVersion,
                Object.entries(m.aliases)
                  .map(([a, v]) => `${a}→${v}`)
                  .join(' '),
                m.description,
              ]),
            ),
          );
          return;
        }
        const versions = await listVersions(reg, name);
        const rows: (string | number)[][] = [];
        for (const v of versions) {
          const variants = await listVariants(reg, { name, ref: v.version });
          rows.push([
            v.version,
            v.createdAt.slice(0, 19).replace('T', ' '),
            v.createdBy,
            v.approval.status,
            v.aliases.join(' '),
            variants.map((x) => x.target).join(' '),
            Object.entries(v.metrics)
              .map(([k, x]) => `${k}=${x}`)
              .join(' '),
          ]);
        }
        output(o.json, versions, () =>
          printTable(['version', 'created', 'by', 'approval', 'aliases', 'variants', 'metrics'], rows),
        );
      }),
    );

  registry
    .command('show')
    .description('one version: source, signature, lineage, approval, variants, benchmarks, deployments')
    .argument('<ref>', 'NAME@VERSION, NAME@ALIAS or NAME (latest)')
    .option('--json', 'print JSON')
    .action(async (text: string, o: Json, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const ref = parseVersionRef(text);
        const version = await getVersion(reg, ref);
        const variants = await listVariants(reg, ref);
        const ids = variants.map((x) => x.id);
        const benchmarks = await listBenchmarks(reg, ids);
        const deployments = await listDeployments(reg, ids);
        output(o.json, { ...version, variants, benchmarks, deployments }, () => {
          const v = version;
          const l = v.lineage;
          console.log(
            [
              `${v.model}@${v.version}${v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}`,
              `  source     ${v.source.name}, ${formatBytes(v.source.bytes)}, sha256 ${v.source.sha256}`,
              `  inputs     ${v.inputs.map((t) => `${t.name}: ${describeTensor(t)}`).join(', ')}`,
              `  outputs    ${v.outputs.map((t) => `${t.name}: ${describeTensor(t)}`).join(', ')}`,
              `  created    ${v.createdAt} by ${v.createdBy}`,
              `  lineage    parent ${l.parentVersion ?? '-'}, dataset ${l.dataset ?? '-'}, run ${l.trainingRun ?? '-'}`,
              `  approval   ${v.approval.status}${v.approval.by ? ` by ${v.approval.by} at ${v.approval.at}` : ''}${v.approval.reason ? `: ${v.approval.reason}` : ''}`,
              `  metrics    ${JSON.stringify(v.metrics)}`,
              `  params     ${JSON.stringify(v.params)}`,
            ].join('\n'),
          );
          if (variants.length) {
            console.log('');
            printTable(
              ['variant', 'target', 'precision', 'features', 'artifact', 'size', 'signed by'],
              variants.map((x) => [
                x.id,
                x.target,
                x.precision,
                x.features.join(' '),
                shortSha(x.artifact.sha256),
                formatBytes(x.artifact.bytes),
                x.signatures.map((s) => s.keyId.slice(0, 12)).join(' '),
              ]),
            );
          }
          if (benchmarks.length) {
            console.log('');
            printTable(
              ['variant', 'hardware', 'median ms', 'p90 ms', 'per s', 'peak memory', 'measured'],
              benchmarks.map((b) => [
                b.variantId,
                `${b.hardwareId} (${b.hardware})`,
                b.latencyMedianMs,
                b.latencyP90Ms,
                b.throughput ?? '-',
                b.peakMemoryBytes !== undefined ? formatBytes(b.peakMemoryBytes) : '-',
                b.measuredAt,
              ]),
            );
          }
          for (const d of deployments)
            console.log(`  deployed variant ${d.variantId} to ${d.fleet} at ${d.deployedAt} by ${d.actor}`);
        });
      }),
    );

  registry
    .command('alias')
    .description('point an alias (production, staging, …) at a version; every move is kept in its history')
    .argument('<ref>', 'NAME@VERSION')
    .argument('<alias>', 'alias name')
    .option('--json', 'print JSON')
    .action(async (text: string, alias: string, o: Json, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const ref = parseVersionRef(text);
        const e = await setAlias(reg, ref, alias);
        output(o.json, e, () =>
          console.log(
            `${ref.name}@${alias} → ${e.version}${e.previousVersion !== null ? ` (was ${e.previousVersion})` : ''}`,
          ),
        );
      }),
    );

  registry
    .command('history')
    .description('the history of the aliases of a model')
    .argument('<name>', 'model name')
    .option('--alias <alias>', 'only this alias')
    .option('--json', 'print JSON')
    .action(async (name: string, o: Json & { alias?: string }, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const events = await aliasHistory(reg, name, o.alias);
        output(o.json, events, () =>
          printTable(
            ['when', 'alias', 'version', 'was', 'by'],
            events.map((e) => [
              e.changedAt,
              e.alias,
              e.version ?? '(removed)',
              e.previousVersion ?? '-',
              e.actor,
            ]),
          ),
        );
      }),
    );

  for (const [verb, status] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const) {
    registry
      .command(verb)
      .description(
        `${verb} a version (who and when are recorded${verb === 'reject' ? '; a reason is required' : ''})`,
      )
      .argument('<ref>', 'NAME@VERSION')
      .option('--reason <text>', 'why')
      .option('--json', 'print JSON')
      .action(async (text: string, o: Json & { reason?: string }, cmd: Command) =>
        withRegistry(cmd, async (reg) => {
          const a = await decide(reg, parseVersionRef(text), status, o.reason);
          output(o.json, a, () => console.log(`${text}: ${a.status} by ${a.by} at ${a.at}`));
        }),
      );
  }

  registry
    .command('diff')
    .description('graph and metric differences between two versions')
    .argument('<a>', 'NAME@VERSION')
    .argument('<b>', 'NAME@VERSION')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, o: Json, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const d = await diffVersions(reg, parseVersionRef(a), parseVersionRef(b));
        output(o.json, d, () => {
          console.log(`${d.a} → ${d.b}${d.sameSource ? ' (same source)' : ''}`);
          console.log(
            `  nodes ${d.nodes.a} → ${d.nodes.b}, parameters ${d.parameters.a} → ${d.parameters.b}`,
          );
          for (const s of d.signature)
            console.log(`  ${s.kind} ${s.name}: ${s.a ?? '(none)'} → ${s.b ?? '(none)'}`);
          if (d.ops.length)
            printTable(
              ['op', d.a, d.b],
              d.ops.map((x) => [x.op, x.a, x.b]),
            );
          if (d.metrics.length) {
            printTable(
              ['metric', d.a, d.b, 'delta'],
              d.metrics.map((m) => [
                m.name,
                m.a ?? '-',
                m.b ?? '-',
                m.delta !== undefined ? Number(m.delta.toPrecision(6)) : '-',
              ]),
            );
          }
        });
      }),
    );

  registry
    .command('verify')
    .description(
      "check every compiled variant of a version as a device would: hashes and signatures against the registry's trusted keys",
    )
    .argument('<ref>', 'NAME@VERSION or NAME@ALIAS')
    .option('--json', 'print JSON')
    .action(async (text: string, o: Json, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const results = await verifyVersion(reg, parseVersionRef(text));
        output(o.json, results, () =>
          printTable(
            ['variant', 'target', 'artifact', 'result'],
            results.map((r) => [
              r.variant.id,
              r.variant.target,
              shortSha(r.variant.artifact.sha256),
              r.ok ? `ok (key ${r.keyId})` : `FAILED: ${r.error}`,
            ]),
          ),
        );
        if (results.some((r) => !r.ok)) throw new KilnError(`verification failed for ${text}`);
      }),
    );

  registry
    .command('pull')
    .description('write the artifact of a variant with its signature embedded, ready for a device')
    .argument('<ref>', 'NAME@VERSION or NAME@ALIAS')
    .requiredOption('--target <name>', 'target')
    .requiredOption('-o, --output <file>', 'artifact path')
    .action(async (text: string, o: { target: string; output: string }, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const v = await variantFor(reg, parseVersionRef(text), o.target);
        const { manifest, files } = await readArtifact(await reg.blobs.read(v.artifact.sha256));
        const signature = new TextEncoder().encode(v.signatures.at(-1)?.signature ?? '');
        await saveArtifactFile(
          o.output,
          await writeArtifact({ manifest, files, ...(signature.length ? { signature } : {}) }),
        );
        console.log(
          `wrote ${o.output} (${v.model}@${v.version} ${v.target}, signed by ${v.signatures.at(-1)?.keyId ?? 'nobody'})`,
        );
      }),
    );

  registry
    .command('benchmark')
    .description('record a benchmark result of a compiled variant on one kind of hardware')
    .argument('<ref>', 'NAME@VERSION')
    .requiredOption('--target <name>', 'the variant, by target')
    .requiredOption('--hardware-id <id>', 'short hardware id, e.g. rpi5')
    .option('--hardware <text>', 'hardware description', '')
    .requiredOption('--median <ms>', 'median latency, ms', Number)
    .requiredOption('--p90 <ms>', 'p90 latency, ms', Number)
    .option('--throughput <n>', 'inferences per second', Number)
    .option('--peak-memory <bytes>', 'peak memory, bytes', Number)
    .option('--json', 'print JSON')
    .action(
      async (
        text: string,
        o: Json & {
          target: string;
          hardwareId: string;
          hardware: string;
          median: number;
          p90: number;
          throughput?: number;
          peakMemory?: number;
        },
        cmd: Command,
      ) =>
        withRegistry(cmd, async (reg) => {
          const v = await variantFor(reg, parseVersionRef(text), o.target);
          const b = await addBenchmark(reg, v.id, {
            hardwareId: o.hardwareId,
            hardware: o.hardware,
            latencyMedianMs: o.median,
            latencyP90Ms: o.p90,
            ...(o.throughput !== undefined ? { throughput: o.throughput } : {}),
            ...(o.peakMemory !== undefined ? { peakMemoryBytes: o.peakMemory } : {}),
          });
          output(o.json, b, () =>
            console.log(`recorded benchmark ${b.id} for variant ${v.id} on ${b.hardwareId}`),
          );
        }),
    );

  registry
    .command('export')
    .description('write models (default: all) with their blobs, signatures and public keys to one tar bundle')
    .argument('<file>', 'bundle path')
    .argument('[names...]', 'model names')
    .action(async (file: string, names: string[], _o: unknown, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const bytes = await exportBundle(reg, names);
        await saveArtifactFile(file, bytes);
        console.log(`wrote ${file} (${formatBytes(bytes.length)})`);
      }),
    );

  registry
    .command('import')
    .description(
      'import a bundle: every blob hash and signature is checked first; its public keys become trusted',
    )
    .argument('<file>', 'bundle path')
    .option('--json', 'print JSON')
    .action(async (file: string, o: Json, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        let bytes: Uint8Array;
        try {
          bytes = readFileSync(file);
        } catch (err) {
          throw new KilnError(`cannot read bundle: ${(err as Error).message}`, { file });
        }
        const s = await importBundle(reg, bytes, file);
        output(o.json, s, () =>
          console.log(
            `imported ${s.models.join(', ')}: ${s.versionsAdded} versions (${s.versionsSkipped} already here), ${s.variantsAdded} variants, ${s.blobs} blobs, ${s.keys} new keys`,
          ),
        );
      }),
    );

  registry
    .command('check')
    .description(
      'integrity: every row names a complete blob with the right sha256; --gc removes unreferenced blobs',
    )
    .option('--gc', 'delete blobs no row refers to (run while no add is in progress)')
    .option('--json', 'print JSON')
    .action(async (o: Json & { gc?: boolean }, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const r = await checkIntegrity(reg);
        const removed = o.gc ? await collectGarbage(reg) : [];
        output(o.json, { ...r, removed }, () => {
          console.log(
            `${r.blobs} blobs, ${r.unreferenced.length} unreferenced, ${r.temps.length} temp files, ${r.problems.length} problems`,
          );
          for (const p of r.problems) console.log(`  ${p}`);
          if (o.gc) console.log(`removed ${removed.length} unreferenced blobs`);
        });
        if (r.problems.length) throw new KilnError('the registry has integrity problems (listed above)');
      }),
    );

  registry.addCommand(registryServeCommand());
  registry.addCommand(registryTokenCommand());
  return registry;
}
