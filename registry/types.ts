import type { JsonValue, ManifestTensor } from '../runtime/artifact/manifest.js';

/** What the registry returns: plain JSON-ready records (the HTTP API sends them as they are). */
export interface ModelRecord {
  name: string;
  description: string;
  tags: Record<string, string>;
  createdAt: string;
  createdBy: string;
  latestVersion: number;
  aliases: Record<string, number>;
}

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface Approval {
  status: ApprovalStatus;
  by?: string;
  at?: string;
  reason?: string;
}

export interface Lineage {
  parentVersion?: number;
  dataset?: string;
  trainingRun?: string;
}

export interface VersionRecord {
  model: string;
  version: number;
  source: { sha256: string; bytes: number; name: string };
  inputs: ManifestTensor[];
  outputs: ManifestTensor[];
  metrics: Record<string, number>;
  params: Record<string, JsonValue>;
  createdAt: string;
  createdBy: string;
  lineage: Lineage;
  approval: Approval;
  aliases: string[];
}

export interface VariantRecord {
  id: number;
  model: string;
  version: number;
  target: string;
  features: string[];
  precision: string;
  compilerVersion: string;
  options: Record<string, JsonValue>;
  artifact: { sha256: string; bytes: number };
  manifestSha256: string;
  createdAt: string;
  createdBy: string;
  /** Detached signatures over the artifact's manifest.json (runtime/artifact/signature.ts encoding). */
  signatures: { keyId: string; signature: string; createdAt: string }[];
}

export interface BenchmarkRecord {
  id: number;
  variantId: number;
  hardwareId: string;
  hardware: string;
  latencyMedianMs: number;
  latencyP90Ms: number;
  throughput?: number;
  peakMemoryBytes?: number;
  measuredAt: string;
  recordedBy: string;
}

export interface AliasEvent {
  alias: string;
  version: number | null;
  previousVersion: number | null;
  changedAt: string;
  actor: string;
}

export interface DeploymentRecord {
  id: number;
  variantId: number;
  fleet: string;
  deployedAt: string;
  actor: string;
}
