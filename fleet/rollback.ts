import { ConflictError } from '../registry/errors.js';
import type { Registry } from '../registry/registry.js';
import { KilnError } from '../runtime/errors.js';
import { baselineDeployment, liveDeployment } from './deployment-rows.js';
import { DEFAULT_WAVE_TIMEOUT_MS, type DeploymentInput, createDeployment } from './deployments.js';
import type { DeploymentRecord } from './deployment-rows.js';
import { requireGroup } from './groups.js';

export interface RollbackInput {
  group: string;
  /** The version to go back to; by default the one the group ran before its current version. */
  to?: number;
  actor: string;
  /** How long the rollback may take before it is itself rolled back (default: the usual wave timeout). */
  waveTimeoutMs?: number;
}

/**
 * Send a whole group back to an older version of the model it runs now, at once and without a soak:
 * an operator's decision after a deployment succeeded but turned out bad (a live deployment is undone
 * with abort instead). It is an ordinary deployment, so agents get `rollback: true` and accept the
 * older version, and its outcome is tracked and gated like any other.
 */
export async function rollbackGroup(reg: Registry, input: RollbackInput): Promise<DeploymentRecord> {
  await requireGroup(reg.db, input.group);
  const live = await liveDeployment(reg.db, input.group);
  if (live) {
    throw new ConflictError(`group '${input.group}' has a live deployment ${live.id} (${live.state})`, {
      expected: `kiln fleet abort ${live.id}: aborting sends the group back to its previous version`,
    });
  }
  const current = await baselineDeployment(reg.db, input.group);
  if (!current) {
    throw new ConflictError(`group '${input.group}' has no completed deployment to roll back from`);
  }
  const version = Number(current.version);
  const to = input.to ?? (current.previous_version === null ? undefined : Number(current.previous_version));
  if (to === undefined) {
    throw new ConflictError(
      `group '${input.group}' runs ${current.model}@${version}, its first version: nothing to roll back to`,
      { expected: 'a version with --to' },
    );
  }
  if (!(Number.isInteger(to) && to >= 1 && to < version)) {
    throw new KilnError(`cannot roll '${input.group}' back to version ${to} of ${current.model}`, {
      expected: `a version older than the current ${version}`,
    });
  }
  const deployment: DeploymentInput = {
    group: input.group,
    model: `${current.model}@${to}`,
    strategy: { kind: 'all-at-once' },
    soakMs: 0,
    waveTimeoutMs: input.waveTimeoutMs ?? DEFAULT_WAVE_TIMEOUT_MS,
    actor: input.actor,
    note: `rollback from ${current.model}@${version}`,
  };
  return createDeployment(reg, deployment);
}
