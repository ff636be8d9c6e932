import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { exportModel } from '../../compiler/onnx/export.js';
import { tensorFrom } from '../../runtime/tensor.js';
import { Registry } from '../../registry/registry.js';
import { graph, model, node, value } from '../helpers/build.js';

/** The PostgreSQL server `.ci/run` starts (.ci/postgres); the PostgreSQL suites skip without it. */
export const PG_URL = process.env.KILN_TEST_PG_URL;

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Why the suite is skipped, or undefined when it runs. */
  skip?: string;
}

export const BACKENDS: Backend[] = [
  { name: 'sqlite' },
  {
    name: 'postgres',
    ...(PG_URL ? {} : { skip: 'KILN_TEST_PG_URL is not set (.ci/run starts a server and sets it)' }),
  },
];

export function suiteTitle(what: string, b: Backend): string {
  return b.skip ? `${what} on ${b.name} (skipped: ${b.skip})` : `${what} on ${b.name}`;
}

const created: string[] = [];

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the test server, so parallel test files never see each other's rows. */
export async function freshPgDatabase(): Promise<string> {
  const name = `kiln_t_${randomBytes(6).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name}`); // name is ours: [a-z0-9_] only
  created.push(name);
  const url = new URL(PG_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestRegistryLocation {
  home: string;
  db?: string;
}

/** A fresh registry location (folder, and a database when the backend is PostgreSQL). */
export async function freshLocation(b: Backend): Promise<TestRegistryLocation> {
  const home = mkdtempSync(join(tmpdir(), 'kiln-registry-'));
  return b.name === 'postgres' ? { home, db: await freshPgDatabase() } : { home };
}

export async function openFresh(b: Backend, actor = 'tester'): Promise<Registry> {
  return Registry.open({ ...(await freshLocation(b)), actor });
}

/** A small ONNX model, MatMul → activation; different `activation`s give different graphs. */
export function tinyOnnx(activation: 'Relu' | 'Sigmoid' = 'Relu', scale = 1): Uint8Array {
  const m = model(
    graph({
      inputs: [value('x', 'float32', [1, 3])],
      outputs: [value('y', 'float32', [1, 2])],
      initializers: {
        w: tensorFrom(
          'float32',
          [3, 2],
          [1, 0, 0, 1, 1, 1].map((v) => v * scale),
        ),
      },
      nodes: [node('MatMul', ['x', 'w'], ['h'], {}, 'mm'), node(activation, ['h'], ['y'], {}, 'act')],
    }),
  );
  return exportModel(m);
}

/** An ONNX model with one large weight, for the crash test (about `mib` MiB). */
export function largeOnnx(mib: number): Uint8Array {
  const n = (mib * 1024 * 1024) / 4;
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = (i % 97) / 97;
  const m = model(
    graph({
      inputs: [value('x', 'float32', [1, n])],
      outputs: [value('y', 'float32', [1, n])],
      initializers: { w: tensorFrom('float32', [1, n], w) },
      nodes: [node('Add', ['x', 'w'], ['y'], {}, 'add')],
    }),
  );
  return exportModel(m);
}

/** Drop the databases this test file created (call after closing its registries). */
export async function dropTestDatabases(): Promise<void> {
  for (const name of created.splice(0)) await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
