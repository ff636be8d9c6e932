import type { FastifyInstance } from 'fastify';
import { exportModel } from '../../compiler/onnx/export.js';
import { type FleetServerOptions, buildFleetServer } from '../../fleet/server/app.js';
import { createToken } from '../../registry/tokens.js';
import { generateKey } from '../../registry/trust.js';
import { compileVariant } from '../../registry/variants.js';
import { addVersion } from '../../registry/versions.js';
import { tensorFrom } from '../../runtime/tensor.js';
import { graph, model, node, value } from '../helpers/build.js';
import { Registry } from '../../registry/registry.js';
import { type Backend, type TestRegistryLocation, freshLocation, tinyOnnx } from '../registry/fixtures.js';

export { BACKENDS, dropTestDatabases, suiteTitle, tinyOnnx } from '../registry/fixtures.js';

export interface TestFleet {
  reg: Registry;
  /** Where the registry lives, to open it again as another process would. */
  location: TestRegistryLocation;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  url: string;
  adminToken: string;
  readToken: string;
  /** Call the fleet API with a bearer token; returns status and parsed JSON (or undefined). */
  // the JSON is untyped on purpose, as fastify's inject().json(): the tests check its shape with expect
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

/** A fleet server on 127.0.0.1 over a fresh registry with a signing key and an admin token. */
export async function startFleet(
  b: Backend,
  advanceIntervalMs = 25,
  server: Omit<FleetServerOptions, 'registry' | 'advanceIntervalMs'> = {},
): Promise<TestFleet> {
  const location = await freshLocation(b);
  const reg = await Registry.open({ ...location, actor: 'tester' });
  await generateKey(reg);
  const adminToken = (await createToken(reg, 'ops', 'admin')).token;
  const readToken = (await createToken(reg, 'viewer', 'read')).token;
  const app = await buildFleetServer({ registry: reg, advanceIntervalMs, ...server });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    reg,
    location,
    app,
    url,
    adminToken,
    readToken,
    async api(method, path, token, body) {
      const res = await fetch(`${url}/fleet/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await app.close();
      await reg.close();
    },
  };
}

/**
 * Add an ONNX model as the next version of `name` and compile its signed wasm variant. The same
 * model compiled with another `optimize` gives an artifact that differs in its code files only
 * (the weights and self-test sample are the same): what delta delivery saves on.
 */
export async function publish(
  reg: Registry,
  name: string,
  onnx: Uint8Array,
  keyFile?: string,
  compile: { optimize?: boolean } = {},
): Promise<number> {
  const v = await addVersion(reg, { name, source: onnx, sourceName: `${name}.onnx` });
  await compileVariant(
    reg,
    { name, ref: v.version },
    { target: 'wasm', ...(keyFile ? { keyFile } : {}), ...compile },
  );
  return v.version;
}

/** A model that loads and runs but outputs NaN (0/0) on every input: its self-test must fail. */
export function nanOnnx(): Uint8Array {
  return exportModel(
    model(
      graph({
        inputs: [value('x', 'float32', [1, 3])],
        outputs: [value('y', 'float32', [1, 2])],
        initializers: { w: tensorFrom('float32', [3, 2], [0, 0, 0, 0, 0, 0]) },
        nodes: [node('MatMul', ['x', 'w'], ['h'], {}, 'mm'), node('Div', ['h', 'h'], ['y'], {}, 'nan')],
      }),
    ),
  );
}

/** Versions that differ in their weights, so each has its own artifact. */
export const modelV = (scale: number): Uint8Array => tinyOnnx('Relu', scale);

/** Poll `check` until it returns a value (not undefined) or `ms` pass. */
/** Wait until deployment `id` is no longer running or paused; returns it as the API shows it. */
export function settledDeployment(
  f: TestFleet,
  id: number,
  ms = 30_000,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON, as TestFleet.api
): Promise<any> {
  return eventually(
    async () => {
      const d = await f.api('GET', `/deployments/${id}`, f.readToken);
      return ['running', 'paused'].includes(d.json.state) ? undefined : d.json;
    },
    ms,
    `deployment ${id} to finish`,
  );
}

export async function eventually<T>(
  check: () => Promise<T | undefined>,
  ms = 20_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
