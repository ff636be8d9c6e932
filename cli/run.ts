import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { compileWasmEagerly } from './eager-wasm.js';
import { basename, extname, join } from 'node:path';
import { Command, Option } from 'commander';
import type { ValueInfo } from '../compiler/ir/graph.js';
import { decodeTensorProto } from '../compiler/onnx/import.js';
import { ReferenceSession } from '../compiler/reference/session.js';
import { type Value, isTensor } from '../compiler/reference/value.js';
import { type TrustStore, parseTrustStore, verifySignedArtifact } from '../runtime/artifact/signature.js';
import { KilnError } from '../runtime/errors.js';
import { MAX_THREADS } from '../runtime/wasm/layout.js';
import { readArtifact } from '../runtime/artifact/index.js';
import { WasmSession } from '../runtime/wasm/session.js';
import { nodeWebGpu } from '../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../runtime/webgpu/session.js';
import { parseNpy, serializeNpy } from '../runtime/npy.js';
import type { Tensor } from '../runtime/tensor.js';
import { printTable } from './table.js';
import { randomTensor, seededRandom } from '../runtime/prng.js';

interface RunOpts {
  input: string[];
  backend: string;
  output: string;
  seed: string;
  dim: string[];
  json?: boolean;
  threads?: string;
  trust?: string;
}

export function runCommand(): Command {
  return new Command('run')
    .description(
      'run an ONNX model (reference backend) or a compiled .kiln artifact on inputs from .pb/.npy files (or random data); write outputs as .npy',
    )
    .argument('<model>', 'an ONNX model file or a .kiln artifact')
    .option('-i, --input <spec...>', "inputs in order, or NAME=SPEC; SPEC is a .pb/.npy file or 'random'", [
      'random',
    ])
    .addOption(new Option('--backend <name>', 'backend').choices(['reference']).default('reference'))
    .option('-o, --output <dir>', 'folder for the output .npy files', 'kiln-outputs')
    .option('--seed <n>', 'seed for random inputs', '0')
    .option('--dim <name=size...>', 'size of a symbolic dimension for random inputs (default 1)', [])
    .option('--json', 'print a JSON summary')
    .option(
      '--threads <n>',
      "threads for a .kiln artifact compiled with --threads (default: the artifact's thread count)",
    )
    .option(
      '--trust <file>',
      'refuse a .kiln artifact unless signed by a key in this trust store (kiln keys export-trust)',
    )
    .action(async (file: string, opts: RunOpts) => {
      const dims = parseDims(opts.dim);
      let outputs: Record<string, Value>;
      let ms: number;
      let backend = opts.backend;
      if (file.toLowerCase().endsWith('.kiln')) {
        // A compiled artifact: verified on load, run by its target's runtime.
        compileWasmEagerly();
        const threads = opts.threads === undefined ? undefined : parseThreads(opts.threads);
        const bytes = readArtifactBytes(file);
        if (opts.trust) {
          const { keyId } = await verifySignedArtifact(bytes, readTrustStore(opts.trust), { file });
          process.stderr.write(`${file}: signature ok (key ${keyId})\n`);
        }
        const { manifest } = await readArtifact(bytes, { file });
        const session =
          manifest.target.name === 'webgpu'
            ? await WebGpuSession.create(bytes, { file, gpu: await nodeWebGpu() })
            : await WasmSession.create(bytes, { file, threads });
        backend =
          session instanceof WasmSession
            ? `wasm (${session.variant}${session.threads > 1 ? `, ${session.threads} threads` : ''})`
            : 'webgpu';
        const inputs: ValueInfo[] = session.manifest.inputs.map((t) => ({
          name: t.name,
          type: { dtype: t.dtype, shape: t.shape },
        }));
        const feeds = bindInputs(inputs, opts.input, dims, Number(opts.seed)) as Record<string, Tensor>;
        const t0 = performance.now();
        try {
          outputs = await session.run(feeds);
        } finally {
          await session.release();
        }
        ms = performance.now() - t0;
      } else {
        const session = ReferenceSession.create(file);
        const feeds = bindInputs(session.inputs, opts.input, dims, Number(opts.seed));
        const t0 = performance.now();
        outputs = session.run(feeds);
        ms = performance.now() - t0;
      }
      mkdirSync(opts.output, { recursive: true });
      const rows: Record<string, unknown>[] = [];
      for (const [name, v] of Object.entries(outputs)) {
        if (!isTensor(v)) {
          rows.push({ name, kind: v.constructor.name });
          continue;
        }
        const path = join(opts.output, `${safeName(name)}.npy`);
        if (v.dtype !== 'string') writeFileSync(path, serializeNpy(v));
        rows.push({
          name,
          dtype: v.dtype,
          shape: v.shape,
          ...stats(v),
          file: v.dtype !== 'string' ? path : undefined,
        });
      }
      if (opts.json) {
        process.stdout.write(
          JSON.stringify({ model: file, backend: opts.backend, ms, outputs: rows }, null, 2) + '\n',
        );
        return;
      }
      console.log(`${basename(file)}: ran on ${backend} in ${ms.toFixed(1)} ms`);
      printTable(
        ['output', 'dtype', 'shape', 'min', 'max', 'mean', 'file'],
        rows.map((r) => [
          String(r.name),
          String(r.dtype ?? r.kind),
          `[${(r.shape as number[] | undefined)?.join(',') ?? ''}]`,
          fmt(r.min),
          fmt(r.max),
          fmt(r.mean),
          String(r.file ?? ''),
        ]),
      );
    });
}

export function parseThreads(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_THREADS)
    throw new KilnError(`bad --threads '${value}'`, { expected: `an integer from 1 to ${MAX_THREADS}` });
  return n;
}

function parseDims(specs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of specs) {
    const [k, v] = s.split('=');
    const n = Number(v);
    if (!k || !Number.isInteger(n) || n < 0)
      throw new KilnError(`bad --dim '${s}'`, { expected: 'NAME=SIZE, e.g. batch=4' });
    m.set(k, n);
  }
  return m;
}

function bindInputs(
  inputs: ValueInfo[],
  specs: string[],
  dims: Map<string, number>,
  seed: number,
): Record<string, Value> {
  const named = new Map<string, string>();
  const positional: string[] = [];
  for (const s of specs) {
    const eq = s.indexOf('=');
    if (eq > 0 && inputs.some((v) => v.name === s.slice(0, eq))) named.set(s.slice(0, eq), s.slice(eq + 1));
    else positional.push(s);
  }
  if (positional.length > inputs.length) {
    throw new KilnError(`${positional.length} inputs given but the model has ${inputs.length}`, {
      expected: inputs.map((v) => v.name).join(', '),
    });
  }
  const rng = seededRandom(seed);
  const feeds: Record<string, Value> = {};
  inputs.forEach((vi, i) => {
    const spec =
      named.get(vi.name) ??
      positional[i] ??
      (positional.length === 1 && positional[0] === 'random' ? 'random' : undefined);
    if (!spec)
      throw new KilnError(`no value given for input '${vi.name}'`, {
        expected: `--input ${vi.name}=FILE|random`,
      });
    feeds[vi.name] = spec === 'random' ? randomInput(vi, dims, rng) : readInput(spec);
  });
  return feeds;
}

function readInput(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new KilnError(`cannot read input: ${(err as Error).message}`, { file: path });
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return parseNpy(bytes, path);
  if (ext === '.pb') return decodeTensorProto(bytes, { file: path });
  throw new KilnError(`unknown input file type '${ext}'`, { file: path, expected: '.npy or .pb' });
}

function randomInput(vi: ValueInfo, dims: Map<string, number>, rng: () => number): Tensor {
  if (!vi.type?.shape) {
    throw new KilnError(`input '${vi.name}' has no declared shape; give a file`, {
      expected: `--input ${vi.name}=FILE`,
    });
  }
  const shape = vi.type.shape.map((d) => (typeof d === 'number' ? d : (dims.get(d) ?? 1)));
  return randomTensor(vi.type.dtype, shape, rng);
}

function stats(t: Tensor): { min?: number; max?: number; mean?: number } {
  if (t.dtype === 'string' || t.size === 0) return {};
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  const d = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / t.size };
}

function fmt(v: unknown): string {
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(5)) : '';
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

function readTrustStore(path: string): TrustStore {
  try {
    return parseTrustStore(JSON.parse(readFileSync(path, 'utf8')), path);
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError(`cannot read the trust store: ${(err as Error).message}`, {
      file: path,
      expected: 'JSON from kiln keys export-trust',
    });
  }
}

function readArtifactBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new KilnError(`cannot read artifact: ${(err as Error).message}`, { file: path });
  }
}
