import { canonicalJson } from '../runtime/artifact/canonical-json.js';

/**
 * A signed order to go back to an older version. Agents only move forward unless the desired state
 * carries one, signed by a registry key the device pinned at enrollment, naming this device, the
 * version and artifact, and the deployment that decided it. Without the signature anyone between
 * server and device could replay an old desired state with `rollback: true` and downgrade a fleet
 * to a version with a known flaw (TUF's rollback attack).
 */
export interface RollbackOrder {
  kind: 'kiln-rollback';
  deviceId: string;
  model: string;
  version: number;
  sha256: string;
  /** The deployment that decides the device's desired state (for a rollback, often an older one). */
  deploymentId: number;
  /**
   * The group's newest deployment when the order was signed. An order older than the deployment
   * that installed what the device runs is a replay; an automatic rollback is signed after (or by)
   * the deployment it undoes, so it passes.
   */
  latestDeploymentId: number;
}

/** As it travels in the desired state: the exact signed text and its detached signature (JSON). */
export interface SignedRollbackOrder {
  order: string;
  signature: string;
}

export function rollbackOrderText(order: RollbackOrder): string {
  return canonicalJson(order);
}
