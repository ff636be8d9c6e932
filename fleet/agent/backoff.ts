/**
 * Delay before the next poll. After `failures` consecutive failures: exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random) so a fleet that lost the server
 * together does not come back in lock step. Without failures: the poll interval ±10%.
 */
export function nextDelay(
  failures: number,
  pollMs: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  if (failures === 0) return Math.round(pollMs * (0.9 + 0.2 * random()));
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
