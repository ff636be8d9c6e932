/**
 * Fuzz the ONNX importer: mutated files must either import or throw a KilnError that names the
 * file, within 2 s each, without absurd allocations, and without an engine error (TypeError,
 * RangeError, ...) hiding inside the KilnError. Whatever imports must also export and re-import to
 * the same IR.
 *
 * Reproduce a failure: KILN_FUZZ_SEED=<seed> npx vitest run test/compiler/onnx/fuzz.test.ts
 * (the failure message names the seed, the case number and the mutation).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelDiff } from '../../../compiler/ir/equal.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import { importModel } from '../../../compiler/onnx/import.js';
import { type OnnxNs, onnx } from '../../../compiler/onnx/proto.js';
import { KilnError } from '../../../runtime/errors.js';
import { T, featureModelBytes } from './fixtures.js';
import { npmModels, torchDir } from './models.js';
import { seededRandom as prng } from '../../../runtime/prng.js';

const SEED = process.env.KILN_FUZZ_SEED ? Number(process.env.KILN_FUZZ_SEED) : 0x6b696c6e;
const TIME_LIMIT_MS = 2000;
/** More than this much new ArrayBuffer memory for one case counts as an absurd allocation. */
const MEMORY_LIMIT = 512 * 2 ** 20;

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

// ---------------------------------------------------------------------------------------------
// Seed models: a small hand-made one using every feature, and small real ones when present.

interface Base {
  name: string;
  bytes: Uint8Array;
}

/** Plain Uint8Array copies: Buffer#slice (what readFileSync and protobufjs return) would be a view. */
function bases(): Base[] {
  const out: Base[] = [{ name: 'feature-model', bytes: new Uint8Array(featureModelBytes()) }];
  for (const nm of npmModels()) {
    if (nm.present && /silero_vad_16k_op15|melspectrogram/.test(nm.file)) {
      out.push({ name: nm.name, bytes: new Uint8Array(readFileSync(nm.file)) });
    }
  }
  const lstm = join(torchDir, 'lstm.onnx');
  if (existsSync(lstm)) out.push({ name: 'torch/lstm.onnx', bytes: new Uint8Array(readFileSync(lstm)) });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Protobuf helpers for hand-built wire bytes.

function varint(v: bigint): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
}

const long = (v: bigint) => {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: false };
};

/**
 * A model whose graph holds an If node whose then_branch holds an If node ... `depth` levels deep,
 * written straight to bytes (sizes computed bottom-up, then one buffer filled top-down) so that
 * even 100,000 levels take no deep recursion to build.
 */
function nestedIfModel(depth: number): Uint8Array {
  const enc = new TextEncoder();
  const name = enc.encode('then_branch');
  const op = enc.encode('If');
  const cond = enc.encode('c');
  // GraphProto level k = node(field 1) { input 'c' (1), op_type 'If' (4), attribute (5) { name (1), type=GRAPH (20), g (6) { level k-1 } } }
  const lenBytes = (n: number) => varint(BigInt(n)).length;
  const graphSizes: number[] = [0]; // innermost graph is empty
  const attrSizes: number[] = [0];
  const nodeSizes: number[] = [0];
  for (let k = 1; k <= depth; k++) {
    const g = graphSizes[k - 1]!;
    const attr = 1 + lenBytes(name.length) + name.length + 2 + 1 + 1 + lenBytes(g) + g;
    const node = 1 + 1 + cond.length + 1 + 1 + op.length + 1 + lenBytes(attr) + attr;
    attrSizes.push(attr);
    nodeSizes.push(node);
    graphSizes.push(1 + lenBytes(node) + node);
  }
  const header = [0x08, 0x08, 0x42, 0x02, 0x10, 0x11]; // ir_version 8; opset_import { version 17 }
  const top = graphSizes[depth]!;
  const out = new Uint8Array(header.length + 1 + lenBytes(top) + top);
  let p = 0;
  const put = (xs: ArrayLike<number>) => {
    out.set(xs, p);
    p += xs.length;
  };
  put(header);
  put([0x3a, ...varint(BigInt(top))]); // graph (field 7)
  for (let k = depth; k >= 1; k--) {
    put([0x0a, ...varint(BigInt(nodeSizes[k]!))]); // node
    put([0x0a, cond.length, ...cond]); // input
    put([0x22, op.length, ...op]); // op_type
    put([0x2a, ...varint(BigInt(attrSizes[k]!))]); // attribute
    put([0x0a, name.length, ...name]); // name
    put([0xa0, 0x01, 5]); // type = GRAPH (field 20, varint)
    put([0x32, ...varint(BigInt(graphSizes[k - 1]!))]); // g
  }
  expect(p).toBe(out.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mutations. Each returns the mutated bytes and a description for failure messages.

type Mutation = (b: Base, r: Rng) => { bytes: Uint8Array; what: string };

/** Where to mutate: anywhere, or (for big files) in the first 4 KiB where the graph structure is. */
function position(b: Uint8Array, r: Rng): number {
  return r.next() < 0.5 ? r.int(b.length) : r.int(Math.min(b.length, 4096));
}

const bitFlips: Mutation = (b, r) => {
  const out = b.bytes.slice();
  const n = 1 + r.int(8);
  const where: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = position(out, r);
    const bit = r.int(8);
    out[p]! ^= 1 << bit;
    where.push(p * 8 + bit);
  }
  return { bytes: out, what: `bit flips at bits [${where.join(',')}]` };
};

const truncation: Mutation = (b, r) => {
  const at = r.next() < 0.5 ? r.int(b.bytes.length) : r.int(Math.min(b.bytes.length, 512));
  return { bytes: b.bytes.slice(0, at), what: `truncated to ${at} bytes` };
};

const randomBytes: Mutation = (_b, r) => {
  const n = r.pick([0, 1, 2, 7, 64, 1000, 4096]);
  const bytes = r.bytes(n);
  // Half the time start like a ModelProto (ir_version, then a graph field) so the decoder goes further.
  if (n > 8 && r.next() < 0.5) bytes.set([0x08, 0x08, 0x3a, ...varint(BigInt(n - 4)).slice(0, 1)]);
  return { bytes, what: `${n} random bytes` };
};

const insertion: Mutation = (b, r) => {
  const at = position(b.bytes, r);
  const ins = r.bytes(1 + r.int(16));
  const out = new Uint8Array(b.bytes.length + ins.length);
  out.set(b.bytes.subarray(0, at));
  out.set(ins, at);
  out.set(b.bytes.subarray(at), at + ins.length);
  return { bytes: out, what: `inserted ${ins.length} bytes at ${at}` };
};

const overwriteOrDuplicate: Mutation = (b, r) => {
  const out = b.bytes.slice();
  const from = position(out, r);
  const len = 1 + r.int(64);
  const to = position(out, r);
  if (r.next() < 0.5) {
    out.copyWithin(to, from, from + len);
    return { bytes: out, what: `copied ${len} bytes from ${from} to ${to}` };
  }
  const chunk = b.bytes.slice(from, from + len);
  const dup = new Uint8Array(out.length + chunk.length);
  dup.set(out.subarray(0, to));
  dup.set(chunk, to);
  dup.set(out.subarray(to), to + chunk.length);
  return { bytes: dup, what: `duplicated ${chunk.length} bytes from ${from} at ${to}` };
};

/** All GraphProtos in a model (main graph, subgraphs of attributes, recursively). */
function graphsOf(mp: OnnxNs.ModelProto): OnnxNs.IGraphProto[] {
  const out: OnnxNs.IGraphProto[] = [];
  const visit = (g: OnnxNs.IGraphProto | null | undefined) => {
    if (!g) return;
    out.push(g);
    for (const n of g.node ?? [])
      for (const a of n.attribute ?? []) [a.g, ...(a.graphs ?? [])].forEach(visit);
  };
  visit(mp.graph);
  return out;
}

function tensorsOf(mp: OnnxNs.ModelProto): OnnxNs.ITensorProto[] {
  const out: OnnxNs.ITensorProto[] = [];
  for (const g of graphsOf(mp)) {
    out.push(...(g.initializer ?? []));
    for (const n of g.node ?? []) for (const a of n.attribute ?? []) if (a.t) out.push(a.t);
  }
  return out;
}

function attributesOf(mp: OnnxNs.ModelProto): OnnxNs.IAttributeProto[] {
  const nodes = [
    ...graphsOf(mp).flatMap((g) => g.node ?? []),
    ...(mp.functions ?? []).flatMap((f) => f.node ?? []),
  ];
  return nodes.flatMap((n) => n.attribute ?? []);
}

function valueInfosOf(mp: OnnxNs.ModelProto): OnnxNs.IValueInfoProto[] {
  return graphsOf(mp).flatMap((g) => [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]);
}

const ABSURD_DIMS: [string, unknown[]][] = [
  ['[2^40]', [long(2n ** 40n)]],
  ['[2^31, 2^31]', [2 ** 31, 2 ** 31]],
  ['[-1]', [-1]],
  ['[3, -2]', [3, -2]],
  ['[int64 min]', [long(-(2n ** 63n))]],
  ['[int64 max]', [long(2n ** 63n - 1n)]],
  ['[2^53 + 1]', [long(2n ** 53n + 1n)]],
  ['[1e6, 1e6, 1e6]', [1e6, 1e6, 1e6]],
  ['[2^30]', [2 ** 30]],
  ['[0]', [0]],
  ['[]', []],
  ['[1, 1, 1, 1, 1, 1, 1, 1]', [1, 1, 1, 1, 1, 1, 1, 1]],
];

/** Structure-aware mutations on a decoded ModelProto, re-encoded afterwards. */
const STRUCTURAL: [string, (mp: OnnxNs.ModelProto, r: Rng) => string][] = [
  [
    'initializer dims',
    (mp, r) => {
      const t = r.pick(tensorsOf(mp));
      const [label, dims] = r.pick(ABSURD_DIMS);
      t.dims = dims as never;
      return `tensor '${t.name}' dims = ${label}`;
    },
  ],
  [
    'value_info dims',
    (mp, r) => {
      const v = r.pick(valueInfosOf(mp));
      const dim = r.pick<OnnxNs.TensorShapeProto.IDimension>([
        { dimValue: long(2n ** 40n) as never },
        { dimValue: -5 },
        { dimValue: long(-(2n ** 63n)) as never },
        { dimParam: 'x'.repeat(100000) },
        { dimParam: '' },
        {},
      ]);
      const elemType = r.pick([1, 0, -1, 7, 99, 2 ** 31 - 1, 17]);
      v.type = { tensorType: { elemType, shape: { dim: [dim, dim, { dimValue: 3 }] } } };
      return `value '${v.name}' type = elem ${elemType}, dims ${JSON.stringify(dim).slice(0, 60)}`;
    },
  ],
  [
    'data_type code',
    (mp, r) => {
      const t = r.pick(tensorsOf(mp));
      t.dataType = r.pick([-1, 0, 8, 9, 10, 14, 15, 16, 17, 21, 22, 23, 25, 99, 2 ** 31 - 1, r.int(40)]);
      return `tensor '${t.name}' data_type = ${t.dataType}`;
    },
  ],
  [
    'raw_data length',
    (mp, r) => {
      const t = r.pick(tensorsOf(mp));
      const raw = t.rawData ?? new Uint8Array(4);
      const len = r.pick([0, 1, raw.length - 1, raw.length + 1, raw.length * 2, 3]);
      const out = new Uint8Array(Math.max(0, len));
      out.set(raw.subarray(0, out.length));
      t.rawData = out;
      return `tensor '${t.name}' raw_data ${raw.length} → ${out.length} bytes`;
    },
  ],
  [
    'typed field count',
    (mp, r) => {
      const t = r.pick(tensorsOf(mp));
      t.rawData = new Uint8Array();
      const field = r.pick([
        'floatData',
        'int32Data',
        'int64Data',
        'doubleData',
        'uint64Data',
        'stringData',
      ] as const);
      const n = r.pick([0, 1, 5, 1000]);
      const value =
        field === 'stringData' ? new Uint8Array([0xff, 0xfe]) : field === 'int64Data' ? long(-1n) : 1;
      (t as Record<string, unknown>)[field] = new Array(n).fill(value);
      return `tensor '${t.name}' raw_data removed, ${field} = ${n} values`;
    },
  ],
  [
    'attribute type',
    (mp, r) => {
      const a = r.pick(attributesOf(mp));
      const choice = r.int(4);
      if (choice === 0) a.type = r.pick([0, 1, 5, 9, 11, 13, 14, 15, 30, -3]) as never;
      else if (choice === 1) {
        a.g = null;
        a.t = null;
        a.sparseTensor = null;
      } else if (choice === 2) a.refAttrName = 'x';
      else a.type = T.GRAPH;
      return `attribute '${a.name}' choice ${choice}, type ${a.type}`;
    },
  ],
  [
    'external data',
    (mp, r) => {
      const t = r.pick(tensorsOf(mp));
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      const location = r.pick([
        'missing.bin',
        '../x.bin',
        '/etc/passwd',
        '',
        'a/../../b',
        'sub/../base.bin',
        '\0',
      ]);
      const offset = r.pick(['0', '-1', '1e30', 'NaN', '9007199254740993', '', '4']);
      const length = r.pick([undefined, '0', '-4', '99999999999', 'abc']);
      t.externalData = [
        { key: 'location', value: location },
        { key: 'offset', value: offset },
      ];
      if (length !== undefined) t.externalData.push({ key: 'length', value: length });
      return `tensor '${t.name}' external ${JSON.stringify({ location, offset, length })}`;
    },
  ],
  [
    'sparse initializer',
    (mp, r) => {
      const [label, dims] = r.pick([...ABSURD_DIMS, ['[4]', [4]] as [string, unknown[]]]);
      const nnz = r.pick([0, 1, 3]);
      const idxRank = r.pick([1, 2]);
      const indices = new Array(nnz * idxRank).fill(0).map(() => r.pick([0, 1, -1, 2 ** 40, 3, 1e15]));
      mp.graph!.sparseInitializer = [
        {
          values: {
            name: 'sp',
            dataType: r.pick([1, 7, 8, 9]),
            dims: [nnz],
            floatData: new Array(nnz).fill(2),
          },
          indices: { dataType: 7, dims: idxRank === 1 ? [nnz] : [nnz, 2], int64Data: indices },
          dims: dims as never,
        },
      ];
      return `sparse dims ${label}, nnz ${nnz}, indices ${JSON.stringify(indices)}`;
    },
  ],
  [
    'node fields',
    (mp, r) => {
      const g = r.pick(graphsOf(mp));
      const n = g.node?.length ? r.pick(g.node) : (g.node = [{}])[0]!;
      const choice = r.int(4);
      if (choice === 0) n.opType = '';
      else if (choice === 1) n.input = ['y'.repeat(1 << 20), '', '\u0000'];
      else if (choice === 2) n.attribute = [...(n.attribute ?? []), ...(n.attribute ?? [])];
      else n.attribute = [{ name: '__proto__', type: T.INT, i: 1 }];
      return `node '${n.name}' choice ${choice}`;
    },
  ],
  [
    'opset / versions',
    (mp, r) => {
      const v = r.pick([long(2n ** 63n - 1n), long(-1n), 0, long(2n ** 53n + 1n)]);
      mp.opsetImport = [{ domain: r.pick(['', 'ai.onnx', 'com.x', '\u00ff']), version: v as never }];
      mp.irVersion = r.pick([0, -1, 3, long(2n ** 60n)]) as never;
      return `opset ${JSON.stringify(mp.opsetImport[0])}, ir ${JSON.stringify(mp.irVersion)}`;
    },
  ],
  [
    'nested Ifs (objects)',
    (mp, r) => {
      const depth = r.pick([1, 63, 64, 65, 200]);
      let g: OnnxNs.IGraphProto = mp.graph!;
      for (let i = 0; i < depth; i++) {
        g = {
          name: `level${i}`,
          node: [
            {
              opType: 'If',
              input: ['c'],
              output: ['o'],
              attribute: [{ name: 'then_branch', type: T.GRAPH, g }],
            },
          ],
        };
      }
      mp.graph = g;
      return `main graph wrapped in ${depth} Ifs`;
    },
  ],
  [
    'missing parts',
    (mp, r) => {
      const choice = r.int(5);
      if (choice === 0) mp.graph = null;
      else if (choice === 1) mp.graph!.initializer = [{ dims: [1], dataType: 1, floatData: [1] }];
      else if (choice === 2) mp.graph!.input = [{}];
      else if (choice === 3) mp.functions = [{ node: [{ attribute: [{ name: 'a' }] }] }];
      else
        mp.metadataProps = [
          { key: '__proto__', value: 'x' },
          { key: 'constructor', value: 'y' },
        ];
      return `missing-parts choice ${choice}`;
    },
  ],
];

/** Wire-level edits that protobufjs' encoder would never produce: huge and lying lengths. */
const hugeLength: Mutation = (b, r) => {
  const len = r.pick([2n ** 31n - 1n, 2n ** 32n + 5n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 1000n]);
  const field = r.pick([
    { tag: 0x12, name: 'producer_name' },
    { tag: 0x3a, name: 'graph' },
    { tag: 0x42, name: 'opset_import' },
    { tag: 0x72, name: 'metadata_props' },
  ]);
  // Either a bare field with a huge length at the end, or a graph whose node has a huge name length.
  const nested = r.next() < 0.5;
  const tail = nested
    ? [0x3a, 0x08, 0x0a, 0x06, 0x1a, ...varint(len).slice(0, 4), 0x41, 0x41]
    : [field.tag, ...varint(len), 0x41, 0x41, 0x41];
  const out = new Uint8Array(b.bytes.length + tail.length);
  out.set(b.bytes);
  out.set(tail, b.bytes.length);
  return {
    bytes: out,
    what: nested ? `graph.node.name with length ${len}` : `${field.name} with length ${len}`,
  };
};

function structural(b: Base, r: Rng): { bytes: Uint8Array; what: string } {
  const mp = onnx.ModelProto.decode(b.bytes);
  const [name, mutate] = r.pick(STRUCTURAL);
  const what = `${name}: ${mutate(mp, r)}`;
  return { bytes: onnx.ModelProto.encode(mp).finish(), what };
}

// ---------------------------------------------------------------------------------------------
// The harness.

interface Outcome {
  ok: number;
  refused: number;
  failures: string[];
  slowest: number;
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Importer = typeof importModel;

function runCase(bytes: Uint8Array, label: string, out: Outcome, importer: Importer = importModel): void {
  const file = `fuzz-case.onnx`;
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let model;
  try {
    model = importer(bytes, { file, baseDir: dir });
  } catch (err) {
    const ms = performance.now() - t0;
    out.slowest = Math.max(out.slowest, ms);
    if (!(err instanceof KilnError)) {
      out.failures.push(`${label}: threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
      return;
    }
    if (!err.message.includes(file))
      out.failures.push(`${label}: KilnError does not name the file: ${err.message}`);
    const cause = err.cause;
    if (cause instanceof Error && !(cause instanceof KilnError) && !/call stack/.test(cause.message)) {
      // asKilnError wrapped an engine error: the importer hit a case it does not check for.
      out.failures.push(
        `${label}: importer bug surfaced as ${cause.constructor.name}: ${err.message.slice(0, 300)}`,
      );
    }
    if (ms > TIME_LIMIT_MS) out.failures.push(`${label}: took ${ms.toFixed(0)} ms to refuse`);
    const grew = process.memoryUsage().arrayBuffers - before;
    if (grew > MEMORY_LIMIT)
      out.failures.push(`${label}: allocated ${(grew / 2 ** 20).toFixed(0)} MiB before refusing`);
    out.refused++;
    return;
  }
  const ms = performance.now() - t0;
  out.slowest = Math.max(out.slowest, ms);
  if (ms > TIME_LIMIT_MS) out.failures.push(`${label}: took ${ms.toFixed(0)} ms to import`);
  const grew = process.memoryUsage().arrayBuffers - before;
  if (grew > MEMORY_LIMIT + 8 * bytes.length) {
    out.failures.push(
      `${label}: imported into ${(grew / 2 ** 20).toFixed(0)} MiB from a ${bytes.length}-byte file`,
    );
  }
  // What imports must survive export and re-import unchanged.
  try {
    const again = importModel(exportModel(model), { file: 'reexported.onnx' });
    const diffs = modelDiff(model, again, { limit: 3 });
    if (diffs.length) out.failures.push(`${label}: changed by export/re-import: ${diffs.join('; ')}`);
  } catch (err) {
    out.failures.push(
      `${label}: imported, but export/re-import threw ${(err as Error).message.slice(0, 300)}`,
    );
  }
  out.ok++;
}

function report(out: Outcome, total: number): void {
  const msg = `seed ${SEED} (set KILN_FUZZ_SEED to reproduce): ${out.failures.length} of ${total} cases failed:\n${out.failures
    .slice(0, 15)
    .join('\n')}`;
  expect(out.failures, msg).toEqual([]);
  expect(out.ok + out.refused).toBe(total);
}

const FAMILIES: [string, number, Mutation][] = [
  ['bit flips', 250, bitFlips],
  ['truncations', 150, truncation],
  ['random bytes', 100, randomBytes],
  ['byte insertions', 150, insertion],
  ['copied or duplicated chunks', 60, overwriteOrDuplicate],
  ['huge length prefixes', 40, hugeLength],
  ['structure-aware mutations', 400, structural],
];

describe(`importModel under fuzzing (seed ${SEED})`, () => {
  const seeds = bases();

  for (const [family, count, mutate] of FAMILIES) {
    it(`${family}: ${count} cases import or throw a KilnError, each in < ${TIME_LIMIT_MS} ms`, () => {
      const out: Outcome = { ok: 0, refused: 0, failures: [], slowest: 0 };
      for (let i = 0; i < count; i++) {
        const caseSeed = (SEED ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(family.length, 0x85ebca6b)) >>> 0;
        const r = new Rng(caseSeed);
        // The small hand-made model most of the time (fast, every feature); real models for the rest.
        const base = r.next() < 0.6 ? seeds[0]! : r.pick(seeds);
        const { bytes, what } = mutate(base, r);
        runCase(bytes, `[${family} #${i}, case seed ${caseSeed}, base ${base.name}] ${what}`, out);
      }
      report(out, count);
      console.log(
        `${family}: ${out.ok} imported, ${out.refused} refused, slowest ${out.slowest.toFixed(0)} ms`,
      );
      // Each family should exercise both outcomes except where every mutation must fail.
      if (family !== 'random bytes' && family !== 'huge length prefixes')
        expect(out.refused).toBeGreaterThan(0);
    });
  }

  it('deeply nested graph attributes (10 to 100,000 levels of If) import or are refused quickly', () => {
    const out: Outcome = { ok: 0, refused: 0, failures: [], slowest: 0 };
    const depths = [10, 63, 64, 65, 1000, 10000, 100000];
    for (const depth of depths) runCase(nestedIfModel(depth), `[${depth} nested Ifs]`, out);
    report(out, depths.length);
    // The importer's documented limit is 64 levels (the main graph counts as one).
    expect(importModel(nestedIfModel(63)).graph.nodes[0]!.op).toBe('If');
    expect(() => importModel(nestedIfModel(64))).toThrow(/nested more than 64 levels/);
    expect(() => importModel(nestedIfModel(10000), { file: 'deep.onnx' })).toThrow(KilnError);
  });

  it('the harness reports what it should (fake importer bugs are caught)', () => {
    const out: Outcome = { ok: 0, refused: 0, failures: [], slowest: 0 };
    runCase(new Uint8Array([0x3a, 0x02, 0x0a, 0x00]), 'real', out); // graph { node {} }: no op_type
    expect(out.refused).toBe(1);
    expect(out.failures).toEqual([]);
    const fakes: [string, Importer][] = [
      ['type error', () => (null as unknown as { x: Importer }).x(new Uint8Array())],
      [
        'wrapped type error',
        () => {
          throw new KilnError(
            'cannot import model: x is undefined',
            { file: 'fuzz-case.onnx' },
            { cause: new TypeError('x') },
          );
        },
      ],
      [
        'no file in message',
        () => {
          throw new KilnError('bad');
        },
      ],
      [
        'slow',
        (b, o) => {
          const t = performance.now();
          while (performance.now() - t < TIME_LIMIT_MS + 50);
          return importModel(b, o);
        },
      ],
      [
        'changes on re-export',
        (b, o) => {
          const m = importModel(b, o);
          m.graph.valueInfo.set('key', { name: 'not the key' });
          return m;
        },
      ],
    ];
    for (const [name, fake] of fakes) {
      const o: Outcome = { ok: 0, refused: 0, failures: [], slowest: 0 };
      runCase(featureModelBytes(), name, o, fake);
      expect(o.failures, name).toHaveLength(1);
    }
  });
});
