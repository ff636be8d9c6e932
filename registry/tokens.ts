import { createHash, randomBytes } from 'node:crypto';
import { KilnError } from '../runtime/errors.js';
import { NotFoundError } from './errors.js';
import { type Registry, now } from './registry.js';

/** Scopes nest: admin can do everything write can, write everything read can. */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function scopeAllows(has: Scope, needs: Scope): boolean {
  return SCOPES.indexOf(has) >= SCOPES.indexOf(needs);
}

export interface TokenRecord {
  id: number;
  name: string;
  scope: Scope;
  createdAt: string;
  revokedAt?: string;
}

/**
 * Create an API token. Only its sha256 is stored, so a leaked database does not leak tokens; the
 * token itself is returned once.
 */
export async function createToken(
  reg: Registry,
  name: string,
  scope: Scope,
): Promise<TokenRecord & { token: string }> {
  if (!SCOPES.includes(scope))
    throw new KilnError(`unknown scope '${scope}'`, { expected: SCOPES.join(', ') });
  const token = `kiln_${randomBytes(24).toString('base64url')}`;
  const createdAt = now();
  const row = await reg.db.get<{ id: number }>(
    'INSERT INTO tokens (name, token_sha256, scope, created_at) VALUES (?, ?, ?, ?) RETURNING id',
    [name, hashToken(token), scope, createdAt],
  );
  return { id: row!.id, name, scope, createdAt, token };
}

/** The token's record if it exists and is not revoked. */
export async function findToken(reg: Registry, token: string): Promise<TokenRecord | undefined> {
  const row = await reg.db.get<{ id: number; name: string; scope: Scope; created_at: string }>(
    'SELECT id, name, scope, created_at FROM tokens WHERE token_sha256 = ? AND revoked_at IS NULL',
    [hashToken(token)],
  );
  return row && { id: row.id, name: row.name, scope: row.scope, createdAt: row.created_at };
}

export async function revokeToken(reg: Registry, id: number): Promise<void> {
  const r = await reg.db.run('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
    now(),
    id,
  ]);
  if (r.changes === 0) throw new NotFoundError(`no active token with id ${id}`);
}

export async function listTokens(reg: Registry): Promise<TokenRecord[]> {
  const rows = await reg.db.all<{
    id: number;
    name: string;
    scope: Scope;
    created_at: string;
    revoked_at: string | null;
  }>('SELECT id, name, scope, created_at, revoked_at FROM tokens ORDER BY id');
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scope: r.scope,
    createdAt: r.created_at,
    ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
  }));
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
