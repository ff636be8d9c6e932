import type { Db, Dialect, Queryable } from './db.js';

/**
 * Versioned schema migrations, applied in order, each once, inside one transaction (both SQLite
 * and PostgreSQL have transactional DDL, so a crash mid-migration leaves the previous schema).
 * Never edit a released migration: add the next one. `{{id}}` is the dialect's auto-increment key.
 */
export const MIGRATIONS: readonly { version: number; why: string; sql: string }[] = [
  {
    version: 1,
    why: 'models, versions with lineage and approval, variants, signatures, benchmarks, aliases, keys, tokens, deployments',
    sql: `
CREATE TABLE models (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE versions (
  model TEXT NOT NULL REFERENCES models(name),
  version INTEGER NOT NULL,
  source_sha256 TEXT NOT NULL,
  source_bytes BIGINT NOT NULL,
  source_name TEXT NOT NULL,
  inputs TEXT NOT NULL,
  outputs TEXT NOT NULL,
  metrics TEXT NOT NULL,
  params TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  parent_version INTEGER,
  dataset TEXT,
  training_run TEXT,
  approval_status TEXT NOT NULL,
  approval_by TEXT,
  approval_at TEXT,
  approval_reason TEXT,
  PRIMARY KEY (model, version)
);
CREATE TABLE approval_history (
  id {{id}},
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  actor TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  reason TEXT,
  FOREIGN KEY (model, version) REFERENCES versions(model, version)
);
CREATE TABLE variants (
  id {{id}},
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  target TEXT NOT NULL,
  features TEXT NOT NULL,
  precision TEXT NOT NULL,
  compiler_version TEXT NOT NULL,
  options TEXT NOT NULL,
  artifact_sha256 TEXT NOT NULL,
  artifact_bytes BIGINT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (model, version, target, precision, features),
  FOREIGN KEY (model, version) REFERENCES versions(model, version)
);
CREATE TABLE signatures (
  variant_id BIGINT NOT NULL REFERENCES variants(id),
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (variant_id, key_id)
);
CREATE TABLE benchmarks (
  id {{id}},
  variant_id BIGINT NOT NULL REFERENCES variants(id),
  hardware_id TEXT NOT NULL,
  hardware TEXT NOT NULL,
  latency_median_ms DOUBLE PRECISION NOT NULL,
  latency_p90_ms DOUBLE PRECISION NOT NULL,
  throughput DOUBLE PRECISION,
  peak_memory_bytes BIGINT,
  measured_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE TABLE aliases (
  model TEXT NOT NULL REFERENCES models(name),
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  changed_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES versions(model, version)
);
CREATE TABLE alias_history (
  id {{id}},
  model TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER,
  previous_version INTEGER,
  changed_at TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE TABLE signing_keys (
  key_id TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_reason TEXT
);
CREATE TABLE tokens (
  id {{id}},
  name TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  scope TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE deployments (
  id {{id}},
  variant_id BIGINT NOT NULL REFERENCES variants(id),
  fleet TEXT NOT NULL,
  deployed_at TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX versions_source ON versions (source_sha256);
CREATE INDEX variants_artifact ON variants (artifact_sha256);
CREATE INDEX alias_history_model ON alias_history (model, alias, id);
`,
  },
  {
    version: 2,
    why: 'fleet: groups, single-use enrollment tokens, devices with hashed credentials, staged deployments with their device assignments, events and device reports',
    sql: `
CREATE TABLE fleet_groups (
  name TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
CREATE TABLE fleet_enrollment_tokens (
  id {{id}},
  token_sha256 TEXT NOT NULL UNIQUE,
  group_name TEXT NOT NULL REFERENCES fleet_groups(name),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  used_by TEXT
);
CREATE TABLE fleet_devices (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  group_name TEXT NOT NULL REFERENCES fleet_groups(name),
  credential_sha256 TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  features TEXT NOT NULL,
  runtime_version TEXT NOT NULL,
  enrolled_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  current_model TEXT,
  current_version INTEGER
);
CREATE TABLE fleet_deployments (
  id {{id}},
  group_name TEXT NOT NULL REFERENCES fleet_groups(name),
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  previous_version INTEGER,
  strategy TEXT NOT NULL,
  waves TEXT NOT NULL,
  max_failure_rate DOUBLE PRECISION NOT NULL,
  soak_ms BIGINT NOT NULL,
  wave_timeout_ms BIGINT NOT NULL,
  state TEXT NOT NULL,
  wave INTEGER NOT NULL,
  state_since TEXT NOT NULL,
  deadline TEXT,
  reason TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  FOREIGN KEY (model, version) REFERENCES versions(model, version)
);
CREATE TABLE fleet_assignments (
  deployment_id BIGINT NOT NULL REFERENCES fleet_deployments(id),
  device_id TEXT NOT NULL REFERENCES fleet_devices(id),
  wave INTEGER NOT NULL,
  PRIMARY KEY (deployment_id, device_id)
);
CREATE TABLE fleet_events (
  id {{id}},
  deployment_id BIGINT NOT NULL REFERENCES fleet_deployments(id),
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  wave INTEGER NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE fleet_reports (
  id {{id}},
  device_id TEXT NOT NULL REFERENCES fleet_devices(id),
  deployment_id BIGINT,
  model TEXT,
  version INTEGER,
  outcome TEXT NOT NULL,
  reason TEXT,
  at TEXT NOT NULL
);
CREATE INDEX fleet_devices_group ON fleet_devices (group_name);
CREATE INDEX fleet_deployments_group ON fleet_deployments (group_name, id);
CREATE INDEX fleet_reports_deployment ON fleet_reports (deployment_id, device_id, id);
CREATE INDEX fleet_events_deployment ON fleet_events (deployment_id, id)
`,
  },
  {
    version: 3,
    why: 'monitoring: telemetry batches (idempotent by id), baselines per version, alerts; dropped telemetry per device; regression gate thresholds per deployment',
    sql: `
CREATE TABLE telemetry_batches (
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES fleet_devices(id),
  group_name TEXT NOT NULL,
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  variant_id BIGINT NOT NULL,
  start_ms BIGINT NOT NULL,
  end_ms BIGINT NOT NULL,
  received_at TEXT NOT NULL,
  runs BIGINT NOT NULL,
  error_count BIGINT NOT NULL,
  errors TEXT NOT NULL,
  latency TEXT NOT NULL,
  inputs TEXT NOT NULL
);
CREATE INDEX telemetry_batches_version ON telemetry_batches (model, version, group_name, end_ms);
CREATE INDEX telemetry_batches_end ON telemetry_batches (end_ms);
CREATE TABLE monitoring_baselines (
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (model, version),
  FOREIGN KEY (model, version) REFERENCES versions(model, version)
);
CREATE TABLE monitoring_alerts (
  id {{id}},
  kind TEXT NOT NULL,
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  group_name TEXT NOT NULL,
  input TEXT,
  channel INTEGER,
  value DOUBLE PRECISION NOT NULL,
  threshold DOUBLE PRECISION NOT NULL,
  message TEXT NOT NULL,
  created_at TEXT NOT NULL,
  state TEXT NOT NULL,
  acked_by TEXT,
  acked_at TEXT,
  dedup_key TEXT NOT NULL
);
CREATE UNIQUE INDEX monitoring_alerts_one_open ON monitoring_alerts (dedup_key) WHERE state = 'open';
CREATE INDEX monitoring_alerts_group ON monitoring_alerts (group_name, id);
ALTER TABLE fleet_devices ADD COLUMN telemetry_dropped BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fleet_deployments ADD COLUMN max_error_rate_increase DOUBLE PRECISION;
ALTER TABLE fleet_deployments ADD COLUMN max_p95_ratio DOUBLE PRECISION
`,
  },
  {
    version: 4,
    why: 'fleet: device tags (and default tags per enrollment token), groups defined by a filter expression, and their members as last evaluated',
    sql: `
ALTER TABLE fleet_devices ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE fleet_enrollment_tokens ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE fleet_groups ADD COLUMN filter TEXT;
CREATE TABLE fleet_memberships (
  group_name TEXT NOT NULL REFERENCES fleet_groups(name),
  device_id TEXT NOT NULL REFERENCES fleet_devices(id),
  PRIMARY KEY (group_name, device_id)
);
CREATE INDEX fleet_memberships_device ON fleet_memberships (device_id)
`,
  },
  {
    version: 5,
    why: 'delta delivery: whether a deployment offers it (on unless --no-delta), and how each device got its artifact (mode, bytes downloaded, artifact bytes)',
    sql: `
ALTER TABLE fleet_deployments ADD COLUMN delta INTEGER NOT NULL DEFAULT 1;
ALTER TABLE fleet_reports ADD COLUMN delivery TEXT;
ALTER TABLE fleet_reports ADD COLUMN downloaded_bytes BIGINT;
ALTER TABLE fleet_reports ADD COLUMN artifact_bytes BIGINT
`,
  },
  {
    version: 6,
    why: 'trust-store renewal: every change of the trusted keys is a numbered statement signed by the keys that could sign then, so devices pinned to older keys can follow a rotation',
    sql: `
CREATE TABLE trust_statements (
  version INTEGER PRIMARY KEY,
  statement TEXT NOT NULL,
  signatures TEXT NOT NULL,
  created_at TEXT NOT NULL
)
`,
  },
];

const ID_COLUMN: Record<Dialect, string> = {
  sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  postgres: 'BIGSERIAL PRIMARY KEY',
};

/** An arbitrary constant: the PostgreSQL advisory lock that serialises migrating processes. */
const PG_MIGRATION_LOCK = 7_391_004;

/** Bring the schema up to date; safe when several processes open a fresh registry at once. */
export async function migrate(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.run(`SELECT pg_advisory_xact_lock(${PG_MIGRATION_LOCK})`);
    await tx.run(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    const row = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const current = row?.v ?? 0;
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await runScript(tx, m.sql.replaceAll('{{id}}', ID_COLUMN[db.dialect]));
      await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [
        m.version,
        new Date().toISOString(),
      ]);
    }
    return MIGRATIONS.at(-1)!.version;
  });
}

async function runScript(tx: Queryable, sql: string): Promise<void> {
  for (const statement of sql.split(';').map((s) => s.trim())) {
    if (statement) await tx.run(statement);
  }
}
