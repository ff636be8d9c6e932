// The .kiln artifact format, shared by the compiler (writes) and every runtime (reads).
// Browser-safe: file-system helpers live in ./node-fs.ts, imported separately.
export { type ArtifactContents, type ManifestDraft, readArtifact, writeArtifact } from './artifact.js';
export { canonicalJson } from './canonical-json.js';
export * from './manifest.js';
export {
  MANIFEST_HASH_PATH,
  MANIFEST_PATH,
  SIGNATURE_PATH,
  WEIGHTS_PATH,
  artifactPathProblem,
} from './paths.js';
export { sha256Hex } from './sha256.js';
export {
  type ArtifactSignature,
  type TrustStore,
  type TrustedKey,
  decodeSignature,
  encodeSignature,
  parseTrustStore,
  publicKeyId,
  verifyManifestSignature,
  verifySignedArtifact,
} from './signature.js';
