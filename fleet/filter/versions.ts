/** `0.1.0` → [0, 1, 0]; anything but dot-separated whole numbers (a suffix such as `-rc1` too) → undefined. */
export function parseVersionNumbers(v: string): number[] | undefined {
  if (!/^\d+(\.\d+)*$/.test(v)) return undefined;
  return v.split('.').map(Number);
}

/** Compare dotted versions numerically; missing parts count as 0 (so 1.2 == 1.2.0). */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
