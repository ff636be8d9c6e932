import { KilnError } from '../errors.js';

/**
 * SHA-256 as lowercase hex, via WebCrypto (`crypto.subtle`), which Node 20 and browsers both have
 * built in: no dependency, and native speed on large weight files. Browsers expose it only in
 * secure contexts (https, localhost).
 */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new KilnError('WebCrypto (crypto.subtle) is not available to hash artifact files', {
      expected: 'Node 20+, or a browser page served over https or from localhost',
    });
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', data));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
