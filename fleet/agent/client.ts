import { KilnError } from '../../runtime/errors.js';
import type { DesiredState } from '../desired.js';
import type { DeviceDescription, Enrollment } from '../enrollment.js';
import type { DeviceReport } from '../reports.js';
import type { TelemetryUpload } from '../telemetry/types.js';
import type { SignedTrustStatement } from '../../registry/trust-statements.js';

/** The fleet API as a device sees it (`<server>/fleet/v1`), over fetch. */
export class FleetClient {
  readonly base: string;

  constructor(
    server: string,
    private readonly credential?: string,
    /** The transport (default: the global fetch); the simulator injects network faults here. */
    readonly fetch: typeof globalThis.fetch = globalThis.fetch,
  ) {
    this.base = `${server.replace(/\/+$/, '')}/fleet/v1`;
  }

  get authHeaders(): Record<string, string> {
    return this.credential ? { authorization: `Bearer ${this.credential}` } : {};
  }

  async enroll(token: string, d: DeviceDescription): Promise<Enrollment> {
    return (await this.call('POST', '/enroll', { token, ...d })) as Enrollment;
  }

  async desired(deviceId: string): Promise<DesiredState> {
    return (await this.call('GET', `/devices/${deviceId}/desired`)) as DesiredState;
  }

  async report(
    deviceId: string,
    r: DeviceReport & { device?: Omit<DeviceDescription, 'name'> },
  ): Promise<void> {
    await this.call('POST', `/devices/${deviceId}/reports`, r);
  }

  async telemetry(deviceId: string, upload: TelemetryUpload): Promise<void> {
    await this.call('POST', `/devices/${deviceId}/telemetry`, upload);
  }

  async trustStatements(deviceId: string, after: number): Promise<SignedTrustStatement[]> {
    const r = (await this.call('GET', `/devices/${deviceId}/trust?after=${after}`)) as {
      statements?: SignedTrustStatement[];
    };
    return Array.isArray(r?.statements) ? r.statements : [];
  }

  async bytes(path: string): Promise<Uint8Array> {
    const res = await this.fetch(this.base + path, { headers: this.authHeaders });
    if (!res.ok) throw await httpError(res, 'GET', path);
    return new Uint8Array(await res.arrayBuffer());
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.fetch(this.base + path, {
      method,
      headers: { ...this.authHeaders, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw await httpError(res, method, path);
    return res.status === 204 ? undefined : res.json();
  }
}

export class FleetHttpError extends KilnError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function httpError(res: Response, method: string, path: string): Promise<FleetHttpError> {
  const text = await res.text().catch(() => '');
  let detail = text;
  try {
    detail = (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    // not JSON: keep the text
  }
  return new FleetHttpError(
    `fleet server: ${method} ${path} → HTTP ${res.status}: ${detail.slice(0, 500)}`,
    res.status,
  );
}
