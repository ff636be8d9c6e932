import type { Registry } from '../../registry/registry.js';
import { compileVariant } from '../../registry/variants.js';
import { addVersion } from '../../registry/versions.js';
import { DEMO_MODEL, demoOnnx } from './demo-model.js';
import type { OperatorClient } from './operator-client.js';

/** A demo model version and its wasm variant's artifact sha256. */
export interface PublishedVersion {
  version: number;
  sha256: string;
}

/** Add a demo model version through the registry API and compile its signed wasm variant there. */
export async function publishOverHttp(ops: OperatorClient, scale: number): Promise<PublishedVersion> {
  const v = await ops.call<{ version: number }>(
    'POST',
    `/models/${DEMO_MODEL}/versions?sourceName=${DEMO_MODEL}.onnx`,
    demoOnnx(scale),
    { api: 'registry' },
  );
  const variant = await ops.call<{ artifact: { sha256: string } }>(
    'POST',
    `/models/${DEMO_MODEL}/versions/${v.version}/variants`,
    { target: 'wasm' },
    { api: 'registry' },
  );
  return { version: v.version, sha256: variant.artifact.sha256 };
}

/**
 * The same on an open registry, without a server: the load benchmark compiles in a process of its
 * own before the server starts, so the compiler's memory is not counted as the server's.
 */
export async function publishInRegistry(reg: Registry, scale: number): Promise<PublishedVersion> {
  const v = await addVersion(reg, {
    name: DEMO_MODEL,
    source: demoOnnx(scale),
    sourceName: `${DEMO_MODEL}.onnx`,
  });
  const variant = await compileVariant(reg, { name: DEMO_MODEL, ref: v.version }, { target: 'wasm' });
  return { version: v.version, sha256: variant.artifact.sha256 };
}
