import type { Queryable } from '../registry/storage/db.js';

/** How a device got the artifact it installed (sent with its `installed` report). */
export interface Delivery {
  /** delta: only the changed files were fetched; full: the whole artifact. */
  mode: 'delta' | 'full';
  /** Bytes this install fetched from the server (manifest, files or artifact, signature). */
  downloadedBytes: number;
  /** The artifact's size: what a full download would have been. */
  artifactBytes: number;
  /** With `full`: why delta delivery was not used or was given up (absent when it was not offered). */
  fallback?: string;
}

/** A deployment's deliveries added up: what the devices that installed it fetched against the artifact sizes. */
export interface DeliverySummary {
  devices: number;
  delta: number;
  full: number;
  downloadedBytes: number;
  artifactBytes: number;
}

/** Each device's latest `installed` report with a delivery for this deployment, added up. */
export async function deliverySummary(db: Queryable, deploymentId: number): Promise<DeliverySummary> {
  const rows = await db.all<{ delivery: string; downloaded_bytes: number; artifact_bytes: number }>(
    `SELECT r.delivery, r.downloaded_bytes, r.artifact_bytes FROM fleet_reports r
       JOIN (SELECT device_id, MAX(id) AS id FROM fleet_reports
             WHERE deployment_id = ? AND outcome = 'installed' AND delivery IS NOT NULL GROUP BY device_id) last
         ON last.id = r.id`,
    [deploymentId],
  );
  const s: DeliverySummary = {
    devices: rows.length,
    delta: 0,
    full: 0,
    downloadedBytes: 0,
    artifactBytes: 0,
  };
  for (const r of rows) {
    if (r.delivery === 'delta') s.delta++;
    else s.full++;
    s.downloadedBytes += Number(r.downloaded_bytes);
    s.artifactBytes += Number(r.artifact_bytes);
  }
  return s;
}

/** `12.3 KiB of 800.3 KiB (1.5 %)`: what was fetched against the whole artifact. */
export function describeSaving(downloaded: number, artifact: number): string {
  const pct = artifact > 0 ? ` (${((100 * downloaded) / artifact).toFixed(1)} %)` : '';
  return `${kib(downloaded)} of ${kib(artifact)}${pct}`;
}

function kib(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}
