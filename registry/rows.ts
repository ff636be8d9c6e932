import type { ManifestTensor } from '../runtime/artifact/manifest.js';
import type { ApprovalStatus, ModelRecord, VariantRecord, VersionRecord } from './types.js';

/** Database rows to records: JSON columns parsed, NULLs dropped, snake_case to camelCase. */
export interface VersionRow {
  model: string;
  version: number;
  source_sha256: string;
  source_bytes: number;
  source_name: string;
  inputs: string;
  outputs: string;
  metrics: string;
  params: string;
  created_at: string;
  created_by: string;
  parent_version: number | null;
  dataset: string | null;
  training_run: string | null;
  approval_status: string;
  approval_by: string | null;
  approval_at: string | null;
  approval_reason: string | null;
}

export function versionRecord(r: VersionRow, aliases: string[]): VersionRecord {
  return {
    model: r.model,
    version: r.version,
    source: { sha256: r.source_sha256, bytes: r.source_bytes, name: r.source_name },
    inputs: JSON.parse(r.inputs) as ManifestTensor[],
    outputs: JSON.parse(r.outputs) as ManifestTensor[],
    metrics: JSON.parse(r.metrics) as VersionRecord['metrics'],
    params: JSON.parse(r.params) as VersionRecord['params'],
    createdAt: r.created_at,
    createdBy: r.created_by,
    lineage: {
      ...(r.parent_version !== null ? { parentVersion: r.parent_version } : {}),
      ...(r.dataset !== null ? { dataset: r.dataset } : {}),
      ...(r.training_run !== null ? { trainingRun: r.training_run } : {}),
    },
    approval: {
      status: r.approval_status as ApprovalStatus,
      ...(r.approval_by !== null ? { by: r.approval_by } : {}),
      ...(r.approval_at !== null ? { at: r.approval_at } : {}),
      ...(r.approval_reason !== null ? { reason: r.approval_reason } : {}),
    },
    aliases,
  };
}

export interface ModelRow {
  name: string;
  description: string;
  tags: string;
  created_at: string;
  created_by: string;
  latest: number | null;
}

export function modelRecord(r: ModelRow, aliases: Record<string, number>): ModelRecord {
  return {
    name: r.name,
    description: r.description,
    tags: JSON.parse(r.tags) as Record<string, string>,
    createdAt: r.created_at,
    createdBy: r.created_by,
    latestVersion: r.latest ?? 0,
    aliases,
  };
}

export interface VariantRow {
  id: number;
  model: string;
  version: number;
  target: string;
  features: string;
  precision: string;
  compiler_version: string;
  options: string;
  artifact_sha256: string;
  artifact_bytes: number;
  manifest_sha256: string;
  created_at: string;
  created_by: string;
}

export function variantRecord(r: VariantRow, signatures: VariantRecord['signatures']): VariantRecord {
  return {
    id: r.id,
    model: r.model,
    version: r.version,
    target: r.target,
    features: JSON.parse(r.features) as string[],
    precision: r.precision,
    compilerVersion: r.compiler_version,
    options: JSON.parse(r.options) as VariantRecord['options'],
    artifact: { sha256: r.artifact_sha256, bytes: r.artifact_bytes },
    manifestSha256: r.manifest_sha256,
    createdAt: r.created_at,
    createdBy: r.created_by,
    signatures,
  };
}
