import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VERSION } from '../../cli/version.js';
import { sha256Hex } from '../../runtime/artifact/sha256.js';
import { type TrustStore, parseTrustStore, verifySignedArtifact } from '../../runtime/artifact/signature.js';
import { KilnError } from '../../runtime/errors.js';
import { InferenceSession } from '../../runtime/inference-session.js';
import type { DesiredState } from '../desired.js';
import { nextDelay } from './backoff.js';
import { FleetClient, FleetHttpError } from './client.js';
import { downloadResumable } from './download.js';
import { DeltaUnavailable, deltaStagingDir, fetchDelta } from './delta.js';
import type { Delivery } from '../delivery.js';
import { type Identity, loadIdentity, pinnedTrust, saveIdentity } from './identity.js';
import { selfTest } from './self-test.js';
import { renewTrust } from './trust-renewal.js';
import { type CrashLoopPolicy, DEFAULT_CRASH_LOOP, StartJournal } from './crash-loop.js';
import { Refusals } from './refusals.js';
import { downgradeRefusal } from './rollback-order.js';
import { pauseHook } from './pause-hook.js';
import { type SlotPointer, Slots } from './slots.js';
import { TelemetryRecorder } from './telemetry-recorder.js';
import { type SendResult, TelemetrySender } from './telemetry-sender.js';
import { TelemetrySpool } from './telemetry-spool.js';
import { DEFAULT_TELEMETRY_INTERVAL_MS, type TelemetryBins } from '../telemetry/types.js';
import type { Tensor } from '../../runtime/ort-tensor.js';

export interface AgentOptions {
  /** The fleet server's base URL (e.g. http://127.0.0.1:8700). */
  server: string;
  /** The agent's folder: identity, A/B slots, staging. */
  dir: string;
  /** A one-time enrollment token; needed only before the first enrollment. */
  enrollmentToken?: string;
  name?: string;
  target?: 'wasm' | 'webgpu' | 'jetson';
  features?: string[];
  /** Tags asked for at enrollment (the enrollment token's win); later only operators change them. */
  tags?: Record<string, string>;
  /** The transport for every request (default: the global fetch); the simulator injects faults. */
  fetch?: typeof globalThis.fetch;
  /**
   * How a verified artifact becomes a session (default `InferenceSession.create`). The simulator
   * shares one session among devices running the same artifact; `release()` is called when the
   * agent switches away from it or stops.
   */
  openSession?: (bytes: Uint8Array, sha256: string) => Promise<InferenceSession>;
  pollMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
  /** When a newly installed version counts as crash-looping (default: more than 3 starts in 10 min). */
  crashLoop?: CrashLoopPolicy;
  /** How often telemetry is sent; default: the server's (desired state), else 10 s. */
  telemetryIntervalMs?: number;
  /** The cap of the telemetry spool under `<dir>/telemetry/` (default 8 MiB). */
  telemetrySpoolBytes?: number;
  /** Use delta delivery when a deployment offers it (default true); false: always whole artifacts. */
  delta?: boolean;
}

/** What one sync did. */
export type SyncResult =
  | { action: 'none' | 'current' | 'skipped' }
  | { action: 'installed'; version: number; resumedFrom: number; delivery: Delivery }
  | { action: 'refused'; version: number; reason: string };

/**
 * The device agent: enrolls once, then polls its desired state; a new version is downloaded into
 * staging (resumable), checked (sha256, then the signature against the trust store pinned at
 * enrollment), loaded and self-tested, and only then written to the spare slot and switched to.
 * A version that fails any check is reported and never switched to; the running model keeps
 * serving, as it does while the server is unreachable.
 */
export class Agent {
  private live: InferenceSession | undefined;
  private current: SlotPointer | undefined;
  private lastReported = '';
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly recorder = new TelemetryRecorder();
  private readonly bins = new Map<string, TelemetryBins>();
  readonly spool: TelemetrySpool;
  private readonly sender: TelemetrySender;
  private telemetryTimer: NodeJS.Timeout | undefined;
  private telemetryEvery = 0;
  /** A renewal the agent refused, and for which server version (not tried again until a newer one). */
  private trustRefusal: { version: number; reason: string } | undefined;

  private constructor(
    private readonly options: AgentOptions,
    readonly identity: Identity,
    private trust: TrustStore,
    private readonly client: FleetClient,
    private readonly slots: Slots,
    private readonly refusals: Refusals,
  ) {
    this.spool = new TelemetrySpool(join(options.dir, 'telemetry'), options.telemetrySpoolBytes);
    this.sender = new TelemetrySender(
      this.spool,
      (u) => this.client.telemetry(this.deviceId, u),
      // the server refuses these batches for good (malformed, too large): resending cannot help
      (err) => err instanceof FleetHttpError && (err.status === 400 || err.status === 413),
    );
    this.scheduleTelemetry(options.telemetryIntervalMs ?? DEFAULT_TELEMETRY_INTERVAL_MS);
  }

  static async start(options: AgentOptions): Promise<Agent> {
    await mkdir(join(options.dir, 'staging'), { recursive: true });
    let identity = await loadIdentity(options.dir);
    if (!identity) {
      if (!options.enrollmentToken) {
        throw new KilnError(`the agent in ${options.dir} is not enrolled`, {
          expected: 'an enrollment token (kiln fleet enroll GROUP) for the first start',
        });
      }
      const e = await new FleetClient(options.server, undefined, options.fetch).enroll(
        options.enrollmentToken,
        {
          name: options.name ?? 'device',
          ...description(options),
          ...(options.tags ? { tags: options.tags } : {}),
        },
      );
      identity = {
        server: options.server,
        deviceId: e.deviceId,
        credential: e.credential,
        group: e.group,
        trust: e.trust,
        trustVersion: e.trustVersion ?? 0,
      };
      await saveIdentity(options.dir, identity);
    }
    const agent = new Agent(
      options,
      identity,
      pinnedTrust(identity, options.dir),
      new FleetClient(options.server, identity.credential, options.fetch),
      new Slots(options.dir),
      await Refusals.open(options.dir),
    );
    await agent.loadCurrent();
    return agent;
  }

  get deviceId(): string {
    return this.identity.deviceId;
  }

  /** The model the application should use now (undefined until a first version is installed). */
  get session(): InferenceSession | undefined {
    return this.live;
  }

  get running(): SlotPointer | undefined {
    return this.current;
  }

  /** The version of the trust-store statement the pinned keys come from (0: as enrolled before statements). */
  get trustVersion(): number {
    return this.identity.trustVersion ?? 0;
  }

  /** Why the last trust-store renewal was refused, if it was (the old store stays pinned). */
  get trustRenewalRefused(): string | undefined {
    return this.trustRefusal?.reason;
  }

  /**
   * Run the live model (as `session.run`) and record the call for telemetry: a run, its latency or
   * its error kind (the error is rethrown), and the inputs' statistics binned over the version's
   * baseline edges.
   */
  async infer(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const session = this.live;
    const current = this.current;
    if (!session || !current) {
      throw new KilnError(`device ${this.deviceId} has no model installed yet`, {
        expected: 'a deployment to its group (kiln fleet deploy) and a completed sync',
      });
    }
    const v = { model: current.model, version: current.version, variantId: current.variantId };
    const bins = this.bins.get(`${current.model}@${current.version}`);
    const t0 = performance.now();
    try {
      const out = await session.run(feeds);
      this.recorder.record(v, feeds, { ms: performance.now() - t0 }, bins);
      return out;
    } catch (error) {
      this.recorder.record(v, feeds, { error }, bins);
      throw error;
    }
  }

  /** Close the open telemetry batches and send them (spooled if the server is unreachable). */
  async flushTelemetry(): Promise<SendResult> {
    return this.sender.send(this.recorder.drain());
  }

  private scheduleTelemetry(ms: number): void {
    if (ms === this.telemetryEvery || !(ms > 0)) return;
    this.telemetryEvery = ms;
    clearInterval(this.telemetryTimer);
    this.telemetryTimer = setInterval(() => void this.flushTelemetry(), ms);
    this.telemetryTimer.unref();
  }

  private openSession(bytes: Uint8Array, sha256: string): Promise<InferenceSession> {
    return this.options.openSession
      ? this.options.openSession(bytes, sha256)
      : InferenceSession.create(bytes);
  }

  /**
   * Come back on the slot the pointer names, checked again as if it were new; or, when this is one
   * start too many soon after that version was installed (a crash loop), on the previous slot.
   */
  private async loadCurrent(): Promise<void> {
    let p = await this.slots.pointer();
    if (!p) return;
    if (p.installedAt !== undefined && p.previous) {
      const policy = this.options.crashLoop ?? DEFAULT_CRASH_LOOP;
      const starts = await new StartJournal(this.options.dir).record(
        p.sha256,
        p.installedAt,
        Date.now(),
        policy,
      );
      if (starts > policy.maxStarts) {
        const back = p.previous;
        await this.refusals.add(
          p.sha256,
          `crash loop: ${starts} starts within ${Math.round(policy.windowMs / 1000)} s of installing ${p.model}@${p.version}; went back to ${back.model}@${back.version}`,
          'disk',
        );
        p = { ...back };
        await this.slots.point(p);
      }
    }
    const { artifact, signature } = await this.slots.read(p.slot);
    await verifySignedArtifact(artifact, this.trust, { signature, file: this.slots.artifactPath(p.slot) });
    this.live = await this.openSession(artifact, await sha256Hex(artifact));
    this.current = p;
  }

  /** One poll: fetch the desired state and act on it. Network and server errors are thrown. */
  async syncOnce(): Promise<SyncResult> {
    const desired = await this.client.desired(this.deviceId);
    await this.renewTrustIfBehind(desired.trustVersion);
    if (desired.telemetry) {
      if (desired.telemetry.bins && desired.model !== undefined && desired.version !== undefined) {
        this.bins.set(`${desired.model}@${desired.version}`, desired.telemetry.bins);
      }
      if (this.options.telemetryIntervalMs === undefined)
        this.scheduleTelemetry(desired.telemetry.intervalMs);
    }
    const v = desired.variant;
    if (!v || desired.version === undefined || desired.model === undefined) return { action: 'none' };
    const key = `${desired.deploymentId}:${v.sha256}`;
    if (this.current?.sha256 === v.sha256) {
      if (this.lastReported !== key) {
        await this.report(desired, 'installed');
        this.lastReported = key;
      }
      return { action: 'current' };
    }
    const refusedBefore = this.refusals.reason(v.sha256);
    if (refusedBefore !== undefined) {
      // reported once per process and deployment (a crash-loop revert is first reported after the restart)
      if (this.lastReported !== key) {
        await this.report(desired, 'failed', refusedBefore);
        this.lastReported = key;
      }
      return { action: 'skipped' };
    }
    let refusal: string | undefined;
    let resumedFrom = 0;
    let delivery: Delivery | undefined;
    const downgrade =
      !!this.current && this.current.model === desired.model && desired.version < this.current.version;
    if (downgrade) refusal = await downgradeRefusal(desired, this.deviceId, this.current!, this.trust);
    if (refusal === undefined) {
      // transport problems (server down, HTTP errors) are thrown: the poll loop backs off and retries
      const fetched = await this.fetch(desired);
      resumedFrom = fetched.resumedFrom;
      delivery = fetched.delivery;
      try {
        await this.checkAndSwitch(desired, fetched.bytes, fetched.signature);
      } catch (err) {
        // anything wrong with the artifact itself is final for this artifact: report it, keep serving
        refusal = err instanceof Error ? err.message : String(err);
      } finally {
        await rm(fetched.part, { force: true, recursive: true });
      }
    }
    if (refusal !== undefined && this.trustRefusal) {
      refusal += ` (the trust store was not renewed: ${this.trustRefusal.reason})`;
    }
    if (refusal !== undefined) {
      // a refused order is about the desired state, not the artifact: a valid rollback to it may follow
      if (!downgrade) await this.refusals.add(v.sha256, refusal);
      if (this.lastReported !== key) {
        await this.report(desired, 'failed', refusal);
        this.lastReported = key;
      }
      return { action: 'refused', version: desired.version, reason: refusal };
    }
    await this.report(desired, 'installed', undefined, delivery);
    this.lastReported = key;
    return { action: 'installed', version: desired.version, resumedFrom, delivery: delivery! };
  }

  /**
   * Get the desired artifact and its signature: by delta (only the files that changed) when the
   * deployment offers it and the device holds an artifact to take the rest from, else, or when the
   * delta fails in any way but the network, whole. `part` is what to remove after the install.
   */
  private async fetch(desired: DesiredState): Promise<{
    part: string;
    bytes: Uint8Array;
    signature: Uint8Array;
    resumedFrom: number;
    delivery: Delivery;
  }> {
    const v = desired.variant!;
    const staging = join(this.options.dir, 'staging');
    let fallback: string | undefined;
    if (v.delta && this.options.delta === false) fallback = 'delta delivery is turned off on this agent';
    else if (v.delta) {
      const held = await this.heldArtifacts();
      if (held.length === 0) fallback = 'no artifact on the device to take unchanged files from';
      else {
        try {
          const d = await fetchDelta({
            client: this.client,
            variant: { ...v, delta: v.delta },
            trust: this.trust,
            held,
            stagingDir: staging,
            label: `${desired.model}@${desired.version}`,
          });
          return {
            part: deltaStagingDir(staging, v.sha256),
            bytes: d.bytes,
            signature: d.signature,
            resumedFrom: d.resumedFrom,
            delivery: { mode: 'delta', downloadedBytes: d.downloadedBytes, artifactBytes: v.bytes },
          };
        } catch (err) {
          if (!(err instanceof DeltaUnavailable)) throw err;
          fallback = err.message;
          await rm(deltaStagingDir(staging, v.sha256), { force: true, recursive: true });
        }
      }
    }
    const part = join(staging, `${v.sha256}.part`);
    const url = this.client.base + v.artifactUrl;
    const get = this.client.fetch;
    const { resumedFrom } = await downloadResumable(url, this.client.authHeaders, part, v.bytes, get);
    let bytes = new Uint8Array(await readFile(part));
    let downloadedBytes = bytes.length - resumedFrom;
    if (resumedFrom > 0 && (await sha256Hex(bytes)) !== v.sha256) {
      // the kept prefix may be what a crash left half-written: one fresh download before judging
      await rm(part, { force: true });
      await downloadResumable(url, this.client.authHeaders, part, v.bytes, get);
      bytes = new Uint8Array(await readFile(part));
      downloadedBytes += bytes.length;
    }
    const signature = await this.client.bytes(v.signatureUrl);
    downloadedBytes += signature.length;
    const delivery: Delivery = {
      mode: 'full',
      downloadedBytes,
      artifactBytes: v.bytes,
      ...(fallback !== undefined ? { fallback } : {}),
    };
    return { part, bytes, signature, resumedFrom, delivery };
  }

  /** The artifacts in the slots (the running one and the one before), whose files a delta may reuse. */
  private async heldArtifacts(): Promise<Uint8Array[]> {
    const held: Uint8Array[] = [];
    for (const slot of ['a', 'b'] as const) {
      const bytes = await readFile(this.slots.artifactPath(slot)).catch(() => undefined);
      if (bytes) held.push(new Uint8Array(bytes));
    }
    return held;
  }

  /**
   * The server has a newer trust-store statement than the one pinned (a key was generated, trusted
   * or revoked): fetch the chain after ours, check each step against the store before it
   * (trust-renewal.ts), and only then replace the pinned store, atomically with the identity file.
   * A chain that fails is refused and not fetched again until the server has a newer one; the old
   * store stays. Transport errors are thrown (the poll retries).
   */
  private async renewTrustIfBehind(latest: number | undefined): Promise<void> {
    const pinned = this.trustVersion;
    if (latest === undefined || latest <= pinned || this.trustRefusal?.version === latest) return;
    const statements = await this.client.trustStatements(this.deviceId, pinned);
    try {
      const renewed = await renewTrust({ json: this.identity.trust, version: pinned }, statements);
      const trust = parseTrustStore(renewed.json);
      const identity = { ...this.identity, trust: renewed.json, trustVersion: renewed.version };
      await saveIdentity(this.options.dir, identity);
      this.identity.trust = identity.trust;
      this.identity.trustVersion = identity.trustVersion;
      this.trust = trust;
      this.trustRefusal = undefined;
    } catch (err) {
      if (!(err instanceof KilnError)) throw err;
      this.trustRefusal = { version: latest, reason: err.message };
    }
  }

  /** sha256, signature, load, self-test; only then the spare slot is written and switched to. */
  private async checkAndSwitch(
    desired: DesiredState,
    bytes: Uint8Array,
    signature: Uint8Array,
  ): Promise<void> {
    const v = desired.variant!;
    const sha = await sha256Hex(bytes);
    if (sha !== v.sha256) {
      throw new KilnError(`the downloaded artifact's sha256 is ${sha}`, {
        expected: `${v.sha256} as the desired state says (the file was altered or truncated)`,
      });
    }
    await verifySignedArtifact(bytes, this.trust, { signature, file: `${desired.model}@${desired.version}` });
    const session = await this.openSession(bytes, sha);
    try {
      await selfTest(session);
    } catch (err) {
      await session.release();
      throw err;
    }
    const slot = await this.slots.spare();
    await this.slots.write(slot, bytes, signature);
    await pauseHook('before-pointer');
    const pointer: SlotPointer = {
      slot,
      model: desired.model!,
      version: desired.version!,
      variantId: v.id,
      sha256: v.sha256,
      ...(desired.deploymentId !== undefined ? { deploymentId: desired.deploymentId } : {}),
      installedAt: Date.now(),
      ...(this.current
        ? {
            previous: {
              slot: this.current.slot,
              model: this.current.model,
              version: this.current.version,
              variantId: this.current.variantId,
              sha256: this.current.sha256,
            },
          }
        : {}),
    };
    await this.slots.point(pointer);
    const old = this.live;
    this.live = session;
    this.current = pointer;
    await old?.release();
  }

  private async report(
    desired: DesiredState,
    outcome: 'installed' | 'failed',
    reason?: string,
    delivery?: Delivery,
  ): Promise<void> {
    await this.client.report(this.deviceId, {
      ...(desired.deploymentId !== undefined ? { deploymentId: desired.deploymentId } : {}),
      ...(desired.model !== undefined ? { model: desired.model } : {}),
      ...(desired.version !== undefined ? { version: desired.version } : {}),
      outcome,
      ...(reason ? { reason } : {}),
      ...(this.current ? { running: { model: this.current.model, version: this.current.version } } : {}),
      ...(delivery ? { delivery } : {}),
      device: description(this.options),
    });
  }

  /** Poll until stop(): the poll interval while healthy, exponential backoff with jitter on errors. */
  run(hooks: { onResult?: (r: SyncResult) => void; onError?: (err: unknown) => void } = {}): Promise<void> {
    const o = this.options;
    const random = o.random ?? Math.random;
    this.loop ??= (async () => {
      let failures = 0;
      while (!this.stopped) {
        try {
          const result = await this.syncOnce();
          failures = 0;
          hooks.onResult?.(result);
        } catch (err) {
          failures++;
          hooks.onError?.(err);
        }
        if (this.stopped) break;
        const delay = nextDelay(
          failures,
          o.pollMs ?? 30_000,
          o.backoffBaseMs ?? 1000,
          o.backoffMaxMs ?? 300_000,
          random,
        );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    })();
    return this.loop;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    clearInterval(this.telemetryTimer);
    await this.flushTelemetry();
    await this.live?.release();
    this.live = undefined;
  }
}

function description(o: AgentOptions): { target: string; features: string[]; runtimeVersion: string } {
  return { target: o.target ?? 'wasm', features: o.features ?? [], runtimeVersion: VERSION };
}
