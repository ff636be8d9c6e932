import { Agent, type SyncResult } from '../../fleet/agent/agent.js';
import { Tensor } from '../../runtime/ort-tensor.js';
import { DEMO_CHANNELS, DEMO_INPUT } from './demo-model.js';
import type { InputGenerator } from './inputs.js';
import { DeviceNetwork, isSimulatedDrop } from './network.js';
import type { SharedSessions } from './shared-sessions.js';
import type { TrafficStats } from './traffic.js';

/** What all simulated devices share: the server, counters, sessions, the tuning of their agents. */
export interface DeviceContext {
  server: string;
  stats: TrafficStats;
  sessions: SharedSessions;
  /** Artifacts (sha256) a device with a self-test fault cannot run correctly. */
  corruptShas: Set<string>;
  pollMs: number;
  telemetryMs: number;
  events: DeviceEvents;
}

/** Counters the devices feed. */
export class DeviceEvents {
  installs = 0;
  refusals = 0;
  modelRuns = 0;
  injectedErrors = 0;
  readonly unexpected = new Map<string, number>();

  unexpectedError(where: string, err: unknown): void {
    const key = `${where}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
    this.unexpected.set(key, (this.unexpected.get(key) ?? 0) + 1);
  }

  get unexpectedCount(): number {
    let n = 0;
    for (const c of this.unexpected.values()) n += c;
    return n;
  }
}

/**
 * One simulated device: a real Agent (enrolled once, then started again from its folder after a
 * crash) on its own DeviceNetwork, plus the application around it that feeds the model inputs.
 */
export class SimDevice {
  agent: Agent | undefined;
  readonly net: DeviceNetwork;
  /** Its runtime corrupts the outputs of the artifacts in `ctx.corruptShas` (a self-test fault). */
  brokenRuntime = false;
  refusedVersions: number[] = [];

  constructor(
    readonly name: string,
    readonly group: string,
    readonly dir: string,
    readonly inputs: InputGenerator,
    private readonly ctx: DeviceContext,
  ) {
    this.net = new DeviceNetwork(name, ctx.stats);
  }

  /** Start the agent (enrolling with `enrollmentToken` the first time) and its poll loop. */
  async start(enrollmentToken?: string): Promise<void> {
    const agent = await Agent.start({
      server: this.ctx.server,
      dir: this.dir,
      ...(enrollmentToken ? { enrollmentToken } : {}),
      name: this.name,
      pollMs: this.ctx.pollMs,
      telemetryIntervalMs: this.ctx.telemetryMs,
      backoffBaseMs: Math.min(1000, this.ctx.pollMs),
      backoffMaxMs: Math.max(5000, 4 * this.ctx.pollMs),
      fetch: this.net.fetch,
      openSession: (bytes, sha256) =>
        this.ctx.sessions.handle(bytes, sha256, this.brokenRuntime && this.ctx.corruptShas.has(sha256)),
    });
    this.agent = agent;
    void agent.run({ onResult: (r) => this.onResult(r), onError: (err) => this.onError(err) });
  }

  private onResult(r: SyncResult): void {
    if (r.action === 'installed') this.ctx.events.installs++;
    if (r.action === 'refused') {
      this.ctx.events.refusals++;
      this.refusedVersions.push(r.version);
      if (!this.brokenRuntime)
        this.ctx.events.unexpectedError(`${this.name} refused v${r.version}`, r.reason);
    }
  }

  private onError(err: unknown): void {
    if (isSimulatedDrop(err)) this.ctx.events.injectedErrors++;
    else this.ctx.events.unexpectedError(`${this.name} poll`, err);
  }

  /**
   * A crash: the device loses its network at once (nothing more reaches the server: no report, no
   * goodbye) and its agent is stopped; `restart()` starts a new Agent from the same folder.
   */
  async crash(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    this.net.down = true;
    await agent?.stop().catch((err: unknown) => this.ctx.events.unexpectedError(`${this.name} crash`, err));
  }

  async restart(): Promise<void> {
    this.net.down = false;
    await this.start();
  }

  get version(): number | undefined {
    return this.agent?.running?.version;
  }

  /**
   * Feed the model one input drawn from the device's (possibly drifted) distribution, through the
   * agent, which records the run for telemetry (latency, errors, input statistics).
   */
  async runModel(): Promise<void> {
    const agent = this.agent;
    const session = agent?.session;
    if (!agent || !session) return;
    const x = new Tensor('float32', this.inputs.sample(DEMO_CHANNELS), [1, DEMO_CHANNELS]);
    try {
      await agent.infer({ [DEMO_INPUT]: x });
      this.ctx.events.modelRuns++;
    } catch (err) {
      // a session switched away from mid-call is released; anything else is a real failure
      if (agent.session === session) this.ctx.events.unexpectedError(`${this.name} model run`, err);
    }
  }
}
