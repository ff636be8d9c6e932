import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { KilnError } from '../../runtime/errors.js';
import type { Model, ValueInfo } from '../ir/graph.js';
import { bfloat16BitsToFloat32 } from '../../runtime/half.js';
import { Tensor } from '../../runtime/tensor.js';
import { decodeValue } from '../onnx/data-proto.js';
import { loadModel } from '../onnx/import.js';
import { shapeDecidingInputs } from '../analysis/shape-operands.js';
import { type InputSignature, signatureOf } from '../structured-io.js';
import type { Value } from '../reference/value.js';
import { type AnyBackend, type AsyncPreparedModel, type Backend, type PreparedModel } from './backend.js';
import { modelOps } from '../ir/model-ops.js';
import { type Tolerance, ONNX_TOLERANCE, compareValues } from './compare.js';

export type CaseStatus = 'pass' | 'fail' | 'unsupported';

export interface CaseResult {
  name: string;
  path: string;
  op: string;
  status: CaseStatus;
  reason?: string;
  /** Graph inputs bound to the case's values at compile time (they decide shapes; `--bind`). */
  bound?: string[];
  ms: number;
}

export interface ConformanceSummary {
  passed: number;
  /** Of `passed`, the cases that passed only with shape-deciding inputs bound at compile time. */
  passedWithBoundInputs: number;
  failed: number;
  unsupported: number;
  total: number;
}

export interface ConformanceReport {
  summary: ConformanceSummary;
  cases: CaseResult[];
}

/** Debian's libonnx-testdata: the ONNX backend conformance tests. */
export const DEFAULT_CONFORMANCE_ROOT = '/usr/share/libonnx-testdata/data';
export const DEFAULT_CONFORMANCE_DIRS = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'].map((d) =>
  join(DEFAULT_CONFORMANCE_ROOT, d),
);

/** Case folders under `dir` (a case itself, a folder of cases, or a tree of them), sorted by path. */
export function findCases(dir: string): string[] {
  if (!existsSync(dir)) throw new KilnError(`conformance folder not found: ${dir}`, { file: dir });
  if (!statSync(dir).isDirectory())
    throw new KilnError(`not a folder: ${dir}`, { file: dir, expected: 'a folder' });
  if (existsSync(join(dir, 'model.onnx'))) return [dir];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) out.push(...findCases(join(dir, e.name)));
  }
  return out;
}

/** The op a case tests: the single op type it uses, else the distinct op types joined by '+'. */
export function caseOp(model: Model): string {
  const ops = modelOps(model)
    .filter((o) => o.op !== 'Constant' || model.graph.nodes.every((n) => n.op === 'Constant'))
    .map((o) => (o.domain ? `${o.domain}.${o.op}` : o.op));
  return ops.length === 1 ? ops[0]! : ops.slice(0, 4).join('+') + (ops.length > 4 ? '+…' : '');
}

function dataSets(path: string): string[] {
  return readdirSync(path)
    .filter((d) => /^test_data_set_\d+$/.test(d))
    .sort((a, b) => Number(a.split('_').pop()) - Number(b.split('_').pop()))
    .map((d) => join(path, d));
}

function readIndexed(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((f) => new RegExp(`^${prefix}_\\d+\\.pb$`).test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
    .map((f) => join(dir, f));
}

/**
 * A case as a sequence of backend calls (prepare, then one run per data set): the generator yields each
 * call and receives its result, so one body serves synchronous backends (runCase) and asynchronous ones
 * such as WebGPU (runCaseAsync).
 */
type BackendCall = () => unknown;

function* caseSteps(
  path: string,
  backend: AnyBackend,
  tol: Tolerance,
): Generator<BackendCall, CaseResult, unknown> {
  const name = basename(path);
  const t0 = performance.now();
  let bound: string[] = [];
  const result = (status: CaseStatus, op: string, reason?: string): CaseResult => ({
    name,
    path,
    op,
    status,
    ...(reason ? { reason } : {}),
    ...(bound.length ? { bound } : {}),
    ms: Math.round(performance.now() - t0),
  });
  let model: Model;
  try {
    model = loadModel(join(path, 'model.onnx'));
  } catch (err) {
    return result('fail', '?', `import failed: ${(err as Error).message}`);
  }
  const op = caseOp(model);
  // compiling rewrites the model in place (sequence inputs flattened, ...): read the data as imported
  const g = { ...model.graph, inputs: [...model.graph.inputs], outputs: [...model.graph.outputs] };
  const asImported = { ...model, graph: g };
  let bind: Map<string, Tensor> | undefined;
  let signatures: Map<string, InputSignature> | undefined;
  try {
    bind = backend.bindsShapeInputs ? shapeInputBindings(model, path) : undefined;
    signatures = backend.bindsShapeInputs ? structuredInputSignatures(model, path) : undefined;
  } catch (err) {
    return result('fail', op, (err as Error).message);
  }
  bound = [...(bind?.keys() ?? []), ...(signatures?.keys() ?? [])];
  const options = { ...(bind ? { bind } : {}), ...(signatures ? { signatures } : {}) };
  const why = backend.unsupportedReason(model, options);
  if (why) return result('unsupported', op, why);
  let prepared: PreparedModel | AsyncPreparedModel | undefined;
  try {
    prepared = (yield () => backend.prepare(model, options)) as PreparedModel | AsyncPreparedModel;
    for (const ds of dataSets(path)) {
      const feeds = readFeeds(ds, asImported);
      const run = prepared;
      const outputs = (yield () => run.run(feeds)) as Map<string, Value>;
      const expected = readIndexed(ds, 'output');
      for (let i = 0; i < expected.length; i++) {
        const vi = g.outputs[i];
        if (!vi) return result('fail', op, `test data has more outputs than the model`);
        const want = decodeValue(readFileSync(expected[i]!), vi.kind, { file: expected[i] });
        const diff = compareValues(outputs.get(vi.name), want, tol);
        if (diff) return result('fail', op, `${basename(ds)} output '${vi.name}': ${diff}`);
      }
    }
    return result('pass', op);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return result('fail', op, err instanceof KilnError ? msg : `${(err as Error).name ?? 'Error'}: ${msg}`);
  } finally {
    if (prepared && 'release' in prepared) prepared.release();
  }
}

export function runCase(path: string, backend: Backend, tol: Tolerance = ONNX_TOLERANCE): CaseResult {
  const steps = caseSteps(path, backend, tol);
  let next = steps.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = next.value();
      if (value instanceof Promise)
        throw new KilnError(`backend ${backend.name} is asynchronous`, { expected: 'runCaseAsync' });
    } catch (err) {
      next = steps.throw(err);
      continue;
    }
    next = steps.next(value);
  }
  return next.value;
}

export async function runCaseAsync(
  path: string,
  backend: AnyBackend,
  tol: Tolerance = ONNX_TOLERANCE,
): Promise<CaseResult> {
  const steps = caseSteps(path, backend, tol);
  let next = steps.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = await next.value();
    } catch (err) {
      next = steps.throw(err);
      continue;
    }
    next = steps.next(value);
  }
  return next.value;
}

/** A data set's inputs by name: graph inputs that are not initializers take the files, in order. */
function readFeeds(ds: string, model: Model): Map<string, Value> {
  const g = model.graph;
  const formal = g.inputs.filter((v) => !g.initializers.has(v.name));
  const feeds = new Map<string, Value>();
  readIndexed(ds, 'input').forEach((file, i) => {
    const vi = formal[i] ?? g.inputs[i];
    if (!vi) throw new KilnError(`test data has more inputs than the model`, { file });
    feeds.set(vi.name, legacyBfloat16(decodeValue(readFileSync(file), vi.kind, { file }), vi));
  });
  return feeds;
}

/**
 * For a shape-specialised backend: the graph inputs whose values decide shapes, bound to the first
 * data set's values (as a user would with `kiln compile --bind`); undefined when there are none.
 * The backend refuses a later data set that feeds other values, so such a case fails rather than
 * passing with the wrong shape.
 */
function shapeInputBindings(model: Model, path: string): Map<string, Tensor> | undefined {
  const names = shapeDecidingInputs(model.graph);
  const first = dataSets(path)[0];
  if (!names.length || !first) return undefined;
  const feeds = readFeeds(first, model);
  const bind = new Map<string, Tensor>();
  for (const name of names) {
    const v = feeds.get(name);
    if (v instanceof Tensor) bind.set(name, v);
  }
  return bind.size ? bind : undefined;
}

/**
 * For a shape-specialised backend: the structure (length, element dims, presence) of the sequence and
 * optional graph inputs, from the first data set, and the dims of tensor inputs with symbolic dims
 * where every data set feeds the same, as a caller fixes them for such an artifact
 * (compiler/structured-io.ts); undefined when there are none.
 */
function structuredInputSignatures(model: Model, path: string): Map<string, InputSignature> | undefined {
  const g = model.graph;
  const symbolic = (v: ValueInfo) => v.type?.shape?.some((d) => typeof d === 'string');
  const fixed = g.inputs.filter(
    (v) => (v.kind === 'sequence' || v.kind === 'optional' || symbolic(v)) && !g.initializers.has(v.name),
  );
  const sets = dataSets(path);
  if (!fixed.length || !sets.length) return undefined;
  const all = sets.map((ds) => readFeeds(ds, model));
  const signatures = new Map<string, InputSignature>();
  for (const v of fixed) {
    const values = all.map((feeds) => feeds.get(v.name));
    if (!values[0]) continue;
    const sig = signatureOf(values[0]);
    // symbolic dims are fixed only when every data set agrees (the artifact takes one shape)
    const same = values.every((x) => x && JSON.stringify(signatureOf(x)) === JSON.stringify(sig));
    if (sig.kind !== 'tensor' || same) signatures.set(v.name, sig);
  }
  return signatures.size ? signatures : undefined;
}

/** ONNX 1.12's test data store bfloat16 inputs as uint16 bit patterns; read them as the model declares. */
function legacyBfloat16(v: Value, vi: ValueInfo): Value {
  if (!(v instanceof Tensor) || v.dtype !== 'uint16' || vi.type?.dtype !== 'bfloat16') return v;
  const out = new Float32Array(v.size);
  const bits = v.data as Uint16Array;
  for (let i = 0; i < out.length; i++) out[i] = bfloat16BitsToFloat32(bits[i]!);
  return new Tensor('bfloat16', v.shape, out);
}

export interface RunOptions {
  filter?: RegExp;
  tolerance?: Tolerance;
  onCase?: (r: CaseResult, index: number, total: number) => void;
}

export function runConformance(
  dirs: string[],
  backend: Backend,
  options: RunOptions = {},
): ConformanceReport {
  const paths = dirs.flatMap(findCases).filter((p) => !options.filter || options.filter.test(basename(p)));
  const cases: CaseResult[] = [];
  paths.forEach((p, i) => {
    const r = runCase(p, backend, options.tolerance);
    cases.push(r);
    options.onCase?.(r, i, paths.length);
  });
  return { summary: summarize(cases), cases };
}

/** runConformance for any backend, synchronous or not (the CLI uses this). */
export async function runConformanceAsync(
  dirs: string[],
  backend: AnyBackend,
  options: RunOptions = {},
): Promise<ConformanceReport> {
  const paths = dirs.flatMap(findCases).filter((p) => !options.filter || options.filter.test(basename(p)));
  const cases: CaseResult[] = [];
  for (const [i, p] of paths.entries()) {
    const r = await runCaseAsync(p, backend, options.tolerance);
    cases.push(r);
    options.onCase?.(r, i, paths.length);
  }
  return { summary: summarize(cases), cases };
}

export function summarize(cases: CaseResult[]): ConformanceSummary {
  const count = (s: CaseStatus) => cases.filter((c) => c.status === s).length;
  return {
    passed: count('pass'),
    passedWithBoundInputs: cases.filter((c) => c.status === 'pass' && c.bound?.length).length,
    failed: count('fail'),
    unsupported: count('unsupported'),
    total: cases.length,
  };
}

/** Per-op totals, for the table and the closing report. */
export function byOp(cases: CaseResult[]): Map<string, ConformanceSummary> {
  const m = new Map<string, CaseResult[]>();
  for (const c of cases) m.set(c.op, [...(m.get(c.op) ?? []), c]);
  return new Map([...m].sort((a, b) => a[0].localeCompare(b[0])).map(([op, cs]) => [op, summarize(cs)]));
}
