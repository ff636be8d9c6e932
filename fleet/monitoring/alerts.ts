import { KilnError } from '../../runtime/errors.js';
import { NotFoundError } from '../../registry/errors.js';
import { type Registry, now } from '../../registry/registry.js';
import type { Queryable, SqlValue } from '../../registry/storage/db.js';
import type { Alert, AlertKind, AlertState } from '../telemetry/types.js';

export type NewAlert = Omit<Alert, 'id' | 'createdAt' | 'state' | 'ackedBy' | 'ackedAt'>;

interface AlertRow {
  id: number;
  kind: AlertKind;
  model: string;
  version: number;
  group_name: string;
  input: string | null;
  channel: number | null;
  value: number;
  threshold: number;
  message: string;
  created_at: string;
  state: AlertState;
  acked_by: string | null;
  acked_at: string | null;
}

function record(r: AlertRow): Alert {
  return {
    id: Number(r.id),
    kind: r.kind,
    model: r.model,
    version: Number(r.version),
    group: r.group_name,
    ...(r.input !== null ? { input: r.input } : {}),
    ...(r.channel !== null ? { channel: Number(r.channel) } : {}),
    value: Number(r.value),
    threshold: Number(r.threshold),
    message: r.message,
    createdAt: r.created_at,
    state: r.state,
    ...(r.acked_by !== null ? { ackedBy: r.acked_by } : {}),
    ...(r.acked_at !== null ? { ackedAt: r.acked_at } : {}),
  };
}

/**
 * Stores an alert unless one for the same kind, version, group (and input channel) is still open:
 * a partial unique index on open alerts makes that hold across server processes. Returns the new
 * alert, or undefined when one was already open.
 */
export async function raiseAlert(db: Queryable, a: NewAlert): Promise<Alert | undefined> {
  const key = JSON.stringify([a.kind, a.model, a.version, a.group, a.input ?? null, a.channel ?? null]);
  const created = now();
  const r = await db.run(
    `INSERT INTO monitoring_alerts (kind, model, version, group_name, input, channel, value, threshold, message,
       created_at, state, dedup_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) ON CONFLICT DO NOTHING`,
    [
      a.kind,
      a.model,
      a.version,
      a.group,
      a.input ?? null,
      a.channel ?? null,
      a.value,
      a.threshold,
      a.message,
      created,
      key,
    ],
  );
  if (r.changes === 0) return undefined;
  const row = await db.get<AlertRow>(
    "SELECT * FROM monitoring_alerts WHERE dedup_key = ? AND state = 'open'",
    [key],
  );
  return row ? record(row) : undefined;
}

export const ALERT_STATES = ['open', 'acked', 'all'] as const;

export async function listAlerts(
  db: Queryable,
  o: { state?: AlertState | 'all'; group?: string; model?: string; kind?: string; limit?: number } = {},
): Promise<Alert[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (o.state && o.state !== 'all') {
    if (!ALERT_STATES.includes(o.state)) {
      throw new KilnError(`unknown alert state '${String(o.state)}'`, { expected: ALERT_STATES.join(', ') });
    }
    where.push('state = ?');
    params.push(o.state);
  }
  for (const [col, v] of [
    ['group_name', o.group],
    ['model', o.model],
    ['kind', o.kind],
  ] as const) {
    if (v === undefined) continue;
    where.push(`${col} = ?`);
    params.push(v);
  }
  const rows = await db.all<AlertRow>(
    `SELECT * FROM monitoring_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    [...params, o.limit ?? 1000],
  );
  return rows.map(record);
}

/** Acknowledge an open alert (acknowledging again keeps the first acknowledgement). */
export async function ackAlert(reg: Registry, id: number, actor: string): Promise<Alert> {
  await reg.db.run(
    "UPDATE monitoring_alerts SET state = 'acked', acked_by = ?, acked_at = ? WHERE id = ? AND state = 'open'",
    [actor, now(), id],
  );
  const row = await reg.db.get<AlertRow>('SELECT * FROM monitoring_alerts WHERE id = ?', [id]);
  if (!row) throw new NotFoundError(`alert ${id} does not exist`);
  return record(row);
}

/** POSTs an alert as JSON; resolves to an error message instead of throwing (a webhook is best effort). */
export async function postAlert(url: string, alert: Alert, timeoutMs = 5000): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.ok ? undefined : `alert webhook ${url} answered HTTP ${res.status}`;
  } catch (err) {
    return `alert webhook ${url} failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
