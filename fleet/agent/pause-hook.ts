/**
 * A crash-test hook: when `KILN_AGENT_PAUSE_AT` names this point, the agent prints
 * `paused at <point>` on stderr and stops there for good, so a test can SIGKILL it at exactly that
 * moment. Unset (always, outside tests), it does nothing.
 */
export type PausePoint = 'before-pointer';

export async function pauseHook(point: PausePoint): Promise<void> {
  if (process.env.KILN_AGENT_PAUSE_AT !== point) return;
  process.stderr.write(`paused at ${point}\n`);
  await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
}
