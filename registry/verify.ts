import { verifySignedArtifact } from '../runtime/artifact/signature.js';
import { KilnError } from '../runtime/errors.js';
import type { VersionRef } from './refs.js';
import type { Registry } from './registry.js';
import { trustStore } from './trust.js';
import type { VariantRecord } from './types.js';
import { listVariants } from './variants.js';

export interface VariantVerification {
  variant: VariantRecord;
  ok: boolean;
  keyId?: string;
  error?: string;
}

/**
 * Check every variant of a version exactly as a device would: the artifact's hashes, then its
 * detached signatures against the registry's trust store (runtime/artifact/signature.ts). A
 * variant passes when at least one of its signatures verifies.
 */
export async function verifyVersion(reg: Registry, ref: VersionRef): Promise<VariantVerification[]> {
  const trust = await trustStore(reg);
  const variants = await listVariants(reg, ref);
  if (variants.length === 0) {
    throw new KilnError(`${ref.name}@${ref.ref} has no compiled variants to verify`, {
      expected: 'kiln registry compile first',
    });
  }
  const results: VariantVerification[] = [];
  for (const variant of variants) {
    const bytes = await reg.blobs.read(variant.artifact.sha256);
    const errors: string[] = [];
    let keyId: string | undefined;
    for (const s of variant.signatures) {
      try {
        keyId = (
          await verifySignedArtifact(bytes, trust, {
            file: `${variant.model}@${variant.version}/${variant.target}`,
            signature: new TextEncoder().encode(s.signature),
          })
        ).keyId;
        break;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (variant.signatures.length === 0) errors.push('the variant has no signature');
    results.push(keyId ? { variant, ok: true, keyId } : { variant, ok: false, error: errors.join('; ') });
  }
  return results;
}
