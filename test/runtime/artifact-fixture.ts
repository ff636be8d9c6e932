import { type ManifestDraft } from '../../runtime/artifact/artifact.js';
import { canonicalJson } from '../../runtime/artifact/canonical-json.js';
import { sha256Hex } from '../../runtime/artifact/sha256.js';
import { type TarEntry, packTar } from '../../runtime/artifact/tar.js';
import { seededRandom } from '../helpers/random.js';

/** A complete, valid manifest draft (files are filled in by writeArtifact). */
export function sampleDraft(): ManifestDraft {
  return {
    format: 'kiln-artifact',
    formatVersion: 1,
    kilnVersion: '0.1.0',
    createdAt: '2026-11-26T16:00:00Z',
    source: { sha256: 'ab'.repeat(32), name: 'mobilenet.onnx' },
    target: { name: 'wasm', features: ['simd128', 'threads'] },
    precision: 'fp32',
    inputs: [{ name: 'image', dtype: 'float32', shape: ['batch', 3, 224, 224] }],
    outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 1000] }],
    arena: { bytes: 4096, naiveBytes: 16384 },
    kernels: [
      { name: 'k0', kind: 'conv', op: 'Conv+Relu', nodes: ['conv1', 'relu1'] },
      { name: 'k1', kind: 'matmul', op: 'Gemm', nodes: ['fc'] },
    ],
    selfTest: { inputs: 'selftest/inputs.bin', outputs: 'selftest/outputs.bin', rtol: 1e-4, atol: 1e-5 },
    compiler: { optimize: true, fuse: ['Conv+Relu'], tile: { m: 4 } },
  };
}

function bytes(n: number, seed: number): Uint8Array {
  const rng = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

/** Files of awkward sizes: an exact block, one byte over, tiny, and empty. */
export function sampleFiles(): Map<string, Uint8Array> {
  return new Map([
    ['model.wasm', Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...bytes(504, 1)])],
    ['weights.bin', bytes(1537, 2)],
    ['selftest/inputs.bin', bytes(33, 3)],
    ['selftest/outputs.bin', bytes(8, 4)],
    ['kernels/empty.wgsl', new Uint8Array(0)],
  ]);
}

/**
 * Pack entries as an artifact would be, with a correct manifest.sha256 for `manifest`, so a test
 * can build artifacts that are broken in exactly one way the container hash does not catch.
 */
export async function packWithManifest(manifest: unknown, files: TarEntry[]): Promise<Uint8Array> {
  const m = new TextEncoder().encode(canonicalJson(manifest));
  const hash = new TextEncoder().encode(`${await sha256Hex(m)}  manifest.json\n`);
  return packTar([{ path: 'manifest.json', data: m }, { path: 'manifest.sha256', data: hash }, ...files], 0);
}
