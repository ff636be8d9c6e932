import { KilnError } from '../runtime/errors.js';
import type { VersionRef } from './refs.js';
import { type Registry, now } from './registry.js';
import type { Approval, ApprovalStatus } from './types.js';
import { getVersion, resolveVersion } from './versions.js';

/**
 * Approve or reject a version (who, when, why). A version starts `pending`; a decision may be
 * revised (a rejected model fixed by retraining is a new version, but an approval can be withdrawn),
 * and every decision is kept in approval_history. Rejecting needs a reason.
 */
export async function decide(
  reg: Registry,
  ref: VersionRef,
  status: Exclude<ApprovalStatus, 'pending'>,
  reason: string | undefined,
  actor = reg.actor,
): Promise<Approval> {
  if (status === 'rejected' && !reason?.trim()) {
    throw new KilnError(`rejecting ${ref.name}@${ref.ref} needs a reason`, { expected: '--reason TEXT' });
  }
  const at = now();
  await reg.db.transaction(async (tx) => {
    const version = await resolveVersion(tx, ref);
    await tx.run(
      'UPDATE versions SET approval_status = ?, approval_by = ?, approval_at = ?, approval_reason = ? WHERE model = ? AND version = ?',
      [status, actor, at, reason ?? null, ref.name, version],
    );
    await tx.run(
      'INSERT INTO approval_history (model, version, status, actor, changed_at, reason) VALUES (?, ?, ?, ?, ?, ?)',
      [ref.name, version, status, actor, at, reason ?? null],
    );
  });
  return (await getVersion(reg, ref)).approval;
}

export async function approvalHistory(reg: Registry, ref: VersionRef): Promise<Approval[]> {
  const version = await resolveVersion(reg.db, ref);
  const rows = await reg.db.all<{
    status: ApprovalStatus;
    actor: string;
    changed_at: string;
    reason: string | null;
  }>(
    'SELECT status, actor, changed_at, reason FROM approval_history WHERE model = ? AND version = ? ORDER BY id',
    [ref.name, version],
  );
  return rows.map((r) => ({
    status: r.status,
    by: r.actor,
    at: r.changed_at,
    ...(r.reason !== null ? { reason: r.reason } : {}),
  }));
}
