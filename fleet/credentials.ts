import { createHash, randomBytes } from 'node:crypto';

/**
 * Secrets handed out once (enrollment tokens, device credentials). Only their sha256 is stored, so
 * a leaked database leaks no usable credential. The prefix tells the kinds apart in the auth hook.
 */
export const ENROLLMENT_PREFIX = 'kenr_';
export const DEVICE_PREFIX = 'kdev_';

export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
