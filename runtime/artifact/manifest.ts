import { type BoundInput, BINDABLE_DTYPES } from '../bound-inputs.js';
import { DTYPES, type DType } from '../dtype.js';
import type { StructuredIo } from '../structured-io.js';
import { KilnError } from '../errors.js';
import { FieldProblems, join } from './json-fields.js';
import { MANIFEST_PATH, WEIGHTS_PATH, artifactPathProblem } from './paths.js';

export const ARTIFACT_FORMAT = 'kiln-artifact';
/** Bumped on any change a reader of the previous version would misread; readers refuse others. */
export const ARTIFACT_FORMAT_VERSION = 1;
export const TARGET_NAMES = ['wasm', 'webgpu', 'jetson'] as const;
export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;

export type TargetName = (typeof TARGET_NAMES)[number];
export type Precision = (typeof PRECISIONS)[number];
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ManifestTensor {
  name: string;
  dtype: DType;
  /** Static dims as numbers, symbolic dims by name (as in the IR's `Dim`). */
  shape: (number | string)[];
}

export interface ManifestFile {
  sha256: string;
  bytes: number;
}

export interface ManifestKernel {
  name: string;
  /** What the code generator made of it (e.g. 'elementwise', 'matmul', 'conv'). */
  kind: string;
  /** The ONNX op it implements; fused kernels join their ops with '+' ('Conv+Relu'). */
  op: string;
  /** The ONNX node names it covers, in execution order. */
  nodes: string[];
}

export interface KilnManifest {
  format: typeof ARTIFACT_FORMAT;
  formatVersion: typeof ARTIFACT_FORMAT_VERSION;
  kilnVersion: string;
  createdAt: string;
  source: { sha256: string; name: string };
  target: { name: TargetName; features: string[] };
  precision: Precision;
  inputs: ManifestTensor[];
  outputs: ManifestTensor[];
  files: Record<string, ManifestFile>;
  arena: { bytes: number; naiveBytes: number };
  kernels: ManifestKernel[];
  selfTest?: { inputs: string; outputs: string; rtol: number; atol: number };
  /** Inputs frozen at compile time (`kiln compile --bind`): a run must feed exactly these values. */
  boundInputs?: BoundInput[];
  /**
   * Sequence and optional inputs/outputs, flattened into tensors of `inputs`/`outputs` at compile
   * time (runtime/structured-io.ts): which tensors form which value.
   */
  structuredIo?: StructuredIo;
  compiler: { [option: string]: JsonValue };
}

const FIELDS = [
  'format',
  'formatVersion',
  'kilnVersion',
  'createdAt',
  'source',
  'target',
  'precision',
  'inputs',
  'outputs',
  'files',
  'arena',
  'kernels',
  'selfTest',
  'boundInputs',
  'structuredIo',
  'compiler',
];
const SHA256 = /^[0-9a-f]{64}$/;
const SHA256_TEXT = '64 lowercase hex digits (sha256)';
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const UTC_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z$/;

/**
 * Every problem with a parsed manifest.json, each naming the field. The format and version are
 * checked first and alone: a manifest from another format or a newer Kiln is refused as such
 * rather than reported field by field.
 */
export function manifestProblems(m: unknown): string[] {
  const p = new FieldProblems();
  if (!p.record(m, '')) return p.list;
  if (m.format !== ARTIFACT_FORMAT) p.add('format', JSON.stringify(ARTIFACT_FORMAT), m.format);
  else if (m.formatVersion !== ARTIFACT_FORMAT_VERSION) {
    p.add('formatVersion', `${ARTIFACT_FORMAT_VERSION} (the only version this Kiln reads)`, m.formatVersion);
  }
  if (p.list.length) return p.list;

  p.object(m, '', FIELDS);
  p.string(m.kilnVersion, 'kilnVersion', SEMVER, 'a semver version such as "0.1.0"');
  if (p.string(m.createdAt, 'createdAt', UTC_TIME, 'an ISO 8601 UTC time such as "2026-01-31T12:00:00Z"')) {
    if (Number.isNaN(Date.parse(m.createdAt))) p.add('createdAt', 'a real date', m.createdAt);
  }
  if (p.object(m.source, 'source', ['sha256', 'name'])) {
    p.string(m.source.sha256, 'source.sha256', SHA256, SHA256_TEXT);
    p.string(m.source.name, 'source.name');
  }
  if (p.object(m.target, 'target', ['name', 'features'])) {
    p.oneOf(m.target.name, 'target.name', TARGET_NAMES);
    stringList(p, m.target.features, 'target.features', 'feature');
  }
  p.oneOf(m.precision, 'precision', PRECISIONS);
  tensors(p, m.inputs, 'inputs', false);
  tensors(p, m.outputs, 'outputs', true);
  const paths = files(p, m.files);
  if (p.object(m.arena, 'arena', ['bytes', 'naiveBytes'])) {
    const a = m.arena;
    if (
      p.count(a.bytes, 'arena.bytes') &&
      p.count(a.naiveBytes, 'arena.naiveBytes') &&
      a.bytes > a.naiveBytes
    ) {
      p.add('arena.bytes', `at most arena.naiveBytes (${a.naiveBytes})`, a.bytes);
    }
  }
  kernels(p, m.kernels);
  if (m.selfTest !== undefined && p.object(m.selfTest, 'selfTest', ['inputs', 'outputs', 'rtol', 'atol'])) {
    for (const key of ['inputs', 'outputs'] as const) {
      const path = m.selfTest[key];
      if (p.string(path, `selfTest.${key}`) && !paths.has(path))
        p.add(`selfTest.${key}`, 'a path listed in files', path);
    }
    p.tolerance(m.selfTest.rtol, 'selfTest.rtol');
    p.tolerance(m.selfTest.atol, 'selfTest.atol');
  }
  if (m.boundInputs !== undefined) boundInputs(p, m.boundInputs, m.inputs);
  if (m.structuredIo !== undefined && p.object(m.structuredIo, 'structuredIo', ['inputs', 'outputs'])) {
    structuredValues(p, m.structuredIo.inputs, m.inputs, 'structuredIo.inputs');
    structuredValues(p, m.structuredIo.outputs, m.outputs, 'structuredIo.outputs');
  }
  if (p.record(m.compiler, 'compiler')) p.json(m.compiler, 'compiler');
  return p.list;
}

/** The manifest, typed, or a KilnError listing every problem (`file` names the artifact). */
export function validateManifest(m: unknown, file?: string): KilnManifest {
  const problems = manifestProblems(m);
  if (problems.length) {
    throw new KilnError(
      `${MANIFEST_PATH} is not a valid kiln manifest: ${problems.join('; ')}`,
      file ? { file } : {},
    );
  }
  return m as KilnManifest;
}

function stringList(p: FieldProblems, v: unknown, path: string, what: string): void {
  if (!p.array(v, path)) return;
  v.forEach((s, i) => p.string(s, `${path}[${i}]`));
  p.unique(v, path, what);
}

function tensors(p: FieldProblems, v: unknown, path: string, nonEmpty: boolean): void {
  if (!p.array(v, path)) return;
  if (nonEmpty && v.length === 0) p.add(path, 'at least one tensor', v);
  v.forEach((t, i) => {
    const at = `${path}[${i}]`;
    if (!p.object(t, at, ['name', 'dtype', 'shape'])) return;
    p.string(t.name, `${at}.name`);
    p.oneOf(t.dtype, `${at}.dtype`, DTYPES);
    if (p.array(t.shape, `${at}.shape`)) {
      t.shape.forEach((d, k) => {
        if (typeof d !== 'string' || d === '') p.count(d, `${at}.shape[${k}]`);
      });
    }
  });
  p.unique(
    v.map((t) => (t as { name?: unknown } | null)?.name),
    path,
    'name',
  );
}

function boundInputs(p: FieldProblems, v: unknown, inputs: unknown): void {
  if (!p.array(v, 'boundInputs')) return;
  const inputNames = Array.isArray(inputs) ? inputs.map((t) => (t as { name?: unknown } | null)?.name) : [];
  v.forEach((b, i) => {
    const at = `boundInputs[${i}]`;
    if (!p.object(b, at, ['name', 'dtype', 'shape', 'values'])) return;
    if (p.string(b.name, `${at}.name`) && !inputNames.includes(b.name))
      p.add(`${at}.name`, 'the name of one of inputs', b.name);
    p.oneOf(b.dtype, `${at}.dtype`, BINDABLE_DTYPES);
    let size = 1;
    if (p.array(b.shape, `${at}.shape`)) {
      b.shape.forEach((d, k) => {
        if (p.count(d, `${at}.shape[${k}]`)) size *= d;
      });
    }
    if (p.array(b.values, `${at}.values`)) {
      b.values.forEach((x, k) => {
        if (typeof x !== 'number' && typeof x !== 'string')
          p.add(`${at}.values[${k}]`, 'a number or string', x);
      });
      if (b.values.length !== size)
        p.add(`${at}.values`, `${size} values (the shape's size)`, b.values.length);
    }
  });
  p.unique(
    v.map((b) => (b as { name?: unknown } | null)?.name),
    'boundInputs',
    'name',
  );
}

const HOLDS = ['tensor', 'sequence', 'none'] as const;

/**
 * `structuredIo.inputs`/`outputs`: each value's tensors are distinct entries of the manifest's
 * inputs/outputs (`tensors`), a sequence any number, an optional one ('tensor'), any ('sequence') or
 * none ('none'); indexes are distinct positions among the model's values.
 */
function structuredValues(p: FieldProblems, v: unknown, flat: unknown, path: string): void {
  if (!p.array(v, path)) return;
  const flatNames = Array.isArray(flat) ? flat.map((t) => (t as { name?: unknown } | null)?.name) : [];
  const used: unknown[] = [];
  v.forEach((s, i) => {
    const at = `${path}[${i}]`;
    if (!p.object(s, at, ['name', 'kind', 'holds', 'dtype', 'index', 'tensors'])) return;
    p.string(s.name, `${at}.name`);
    p.oneOf(s.kind, `${at}.kind`, ['sequence', 'optional']);
    if (s.kind === 'optional') p.oneOf(s.holds, `${at}.holds`, HOLDS);
    else if (s.holds !== undefined) p.add(`${at}.holds`, 'nothing (only optionals hold)', s.holds);
    if (s.dtype !== undefined) p.oneOf(s.dtype, `${at}.dtype`, DTYPES);
    p.count(s.index, `${at}.index`);
    if (!p.array(s.tensors, `${at}.tensors`)) return;
    s.tensors.forEach((t, k) => {
      if (p.string(t, `${at}.tensors[${k}]`) && !flatNames.includes(t))
        p.add(`${at}.tensors[${k}]`, `the name of one of ${path.split('.')[1]}`, t);
    });
    used.push(...s.tensors);
    const count = s.kind === 'optional' ? { tensor: 1, none: 0 }[s.holds as string] : undefined;
    if (count !== undefined && s.tensors.length !== count)
      p.add(
        `${at}.tensors`,
        `${count} tensor${count === 1 ? '' : 's'} (holds '${String(s.holds)}')`,
        s.tensors.length,
      );
  });
  p.unique(used, `${path}[*].tensors`, 'tensor');
  p.unique(
    v.map((s) => {
      const index = (s as { index?: unknown } | null)?.index;
      return typeof index === 'number' ? String(index) : undefined;
    }),
    path,
    'index',
  );
}

function files(p: FieldProblems, v: unknown): Set<string> {
  const paths = new Set<string>();
  if (!p.record(v, 'files')) return paths;
  for (const [path, f] of Object.entries(v)) {
    const at = join('files', path);
    const problem = artifactPathProblem(path);
    if (problem) p.list.push(`${at}: ${problem}`);
    paths.add(path);
    if (!p.object(f, at, ['sha256', 'bytes'])) continue;
    p.string(f.sha256, `${at}.sha256`, SHA256, SHA256_TEXT);
    p.count(f.bytes, `${at}.bytes`);
  }
  if (!paths.has(WEIGHTS_PATH))
    p.add(join('files', WEIGHTS_PATH), 'an entry (empty if the model has no weights)', undefined);
  return paths;
}

function kernels(p: FieldProblems, v: unknown): void {
  if (!p.array(v, 'kernels')) return;
  v.forEach((k, i) => {
    const at = `kernels[${i}]`;
    if (!p.object(k, at, ['name', 'kind', 'op', 'nodes'])) return;
    p.string(k.name, `${at}.name`);
    p.string(k.kind, `${at}.kind`);
    p.string(k.op, `${at}.op`);
    stringList(p, k.nodes, `${at}.nodes`, 'node');
  });
  p.unique(
    v.map((k) => (k as { name?: unknown } | null)?.name),
    'kernels',
    'name',
  );
}
