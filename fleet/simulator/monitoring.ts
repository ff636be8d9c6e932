import type { Alert, BaselineUpload } from '../telemetry/types.js';
import { DEMO_CHANNELS, DEMO_INPUT, DEMO_MODEL } from './demo-model.js';
import { InputGenerator } from './inputs.js';
import type { OperatorClient } from './operator-client.js';
import type { DriftSpec } from './options.js';

/** Baseline samples per version: enough for decile bins that hold ~200 values each. */
export const BASELINE_SAMPLES = 2000;

/**
 * A shift from which the simulator expects a drift alert: PSI on decile bins is about 1.0 for a
 * 1 σ shift (docs/monitoring.md), far over the 0.2 threshold; smaller shifts may or may not alert.
 */
export const EXPECTED_ALERT_SHIFT = 1;

/**
 * Record the version's baseline from the devices' own (undrifted) distribution, as an operator
 * would from training data: what drift is measured against.
 */
export async function uploadBaseline(ops: OperatorClient, version: number, seed: number): Promise<void> {
  const gen = new InputGenerator(seed);
  const body: BaselineUpload = {
    inputs: {
      [DEMO_INPUT]: {
        dims: [BASELINE_SAMPLES, DEMO_CHANNELS],
        data: Array.from(gen.sample(BASELINE_SAMPLES * DEMO_CHANNELS)),
      },
    },
  };
  await ops.call('PUT', `/monitoring/baselines/${DEMO_MODEL}/${version}`, body);
}

/** The alerts about this run: the demo model's versions it used, its groups, raised since `since`. */
export async function runAlerts(
  ops: OperatorClient,
  versions: number[],
  groups: string[],
  since: number,
): Promise<Alert[]> {
  const all = await ops.call<Alert[]>('GET', `/alerts?state=all&model=${DEMO_MODEL}`);
  return all.filter(
    (a) =>
      versions.includes(a.version) && groups.includes(a.group) && Date.parse(a.createdAt) >= since - 1000,
  );
}

/** Groups that should have a drift alert (shift ≥ EXPECTED_ALERT_SHIFT) and groups that must not. */
export function driftExpectations(
  groups: string[],
  drift: DriftSpec[],
): { expected: string[]; clean: string[] } {
  const shift = (g: string) => Math.abs(drift.find((d) => d.group === g)?.shift ?? 0);
  return {
    expected: groups.filter((g) => shift(g) >= EXPECTED_ALERT_SHIFT),
    clean: groups.filter((g) => shift(g) === 0),
  };
}
