import { type TrustStore, verifyManifestSignature } from '../../runtime/artifact/signature.js';
import { KilnError } from '../../runtime/errors.js';
import type { DesiredState } from '../desired.js';
import type { RollbackOrder } from '../rollback-order.js';
import type { SlotPointer } from './slots.js';

const utf8 = new TextEncoder();

/**
 * Why a desired state that goes back to an older version must be refused, or undefined when it
 * carries a valid rollback order: signed by a pinned, unrevoked key; for this device, this version
 * and this artifact; and signed no earlier than the deployment that installed what runs now (an old,
 * genuine order replayed cannot undo a newer decision).
 */
export async function downgradeRefusal(
  desired: DesiredState,
  deviceId: string,
  current: SlotPointer,
  trust: TrustStore,
): Promise<string | undefined> {
  const what = `${desired.model}@${desired.version}`;
  if (!desired.rollback) {
    return `refusing ${what}: older than the running version ${current.version} and not a rollback (versions only move forward unless the server orders a rollback)`;
  }
  const signed = desired.rollbackOrder;
  if (!signed) return `refusing ${what}: the rollback is not signed (no rollback order in the desired state)`;
  try {
    await verifyManifestSignature(utf8.encode(signed.order), utf8.encode(signed.signature), trust, {
      file: 'rollback order',
    });
  } catch (err) {
    return `refusing ${what}: ${err instanceof KilnError ? err.message : String(err)}`;
  }
  const order = JSON.parse(signed.order) as RollbackOrder;
  const expected: Omit<RollbackOrder, 'latestDeploymentId'> = {
    kind: 'kiln-rollback',
    deviceId,
    model: desired.model!,
    version: desired.version!,
    sha256: desired.variant!.sha256,
    deploymentId: desired.deploymentId ?? -1,
  };
  for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
    if (order[key] !== expected[key]) {
      return `refusing ${what}: the signed rollback order says ${key} ${JSON.stringify(order[key])}, the desired state ${JSON.stringify(expected[key])}`;
    }
  }
  if (
    current.deploymentId !== undefined &&
    !(Number.isInteger(order.latestDeploymentId) && order.latestDeploymentId >= current.deploymentId)
  ) {
    return `refusing ${what}: the rollback order was signed when deployment ${order.latestDeploymentId} was the newest, before deployment ${current.deploymentId} installed the running version (a replayed order)`;
  }
  return undefined;
}
