import { type TrafficStats, requestKind } from './traffic.js';

/** The cause of a request the simulator failed on purpose (a network drop fault). */
export class SimulatedNetworkDrop extends Error {
  constructor(deviceName: string) {
    super(`simulated network drop on ${deviceName}`);
  }
}

export function isSimulatedDrop(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof SimulatedNetworkDrop) return true;
  return false;
}

/**
 * One device's network: the fetch its agent uses. While `down`, every request fails as a real
 * transport error would (TypeError 'fetch failed', the cause a SimulatedNetworkDrop). Otherwise the
 * request goes out and is timed; polls are timed to the end of their body (what an agent waits for).
 */
export class DeviceNetwork {
  down = false;

  constructor(
    private readonly name: string,
    private readonly stats: TrafficStats,
  ) {}

  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? 'GET';
    const kind = requestKind(method, url);
    if (this.down) {
      this.stats.injectedDrops++;
      throw new TypeError('fetch failed', { cause: new SimulatedNetworkDrop(this.name) });
    }
    const t0 = performance.now();
    let res: Response;
    try {
      res = await globalThis.fetch(input, init);
      if (kind === 'poll' || kind === 'telemetry' || kind === 'report') {
        // read the small JSON bodies here, so the time includes them; hand back an equal response
        const body = await res.arrayBuffer();
        res = new Response(res.status === 204 ? null : body, {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
        });
      }
    } catch (err) {
      this.stats.fail(kind, describe(err));
      throw err;
    }
    this.stats.record(kind, performance.now() - t0);
    if (res.status >= 500) this.stats.fail(kind, `HTTP ${res.status}`);
    if (kind === 'telemetry' && res.ok && typeof init?.body === 'string') {
      this.stats.telemetryBatches += countBatches(init.body);
    }
    return res;
  };
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

function countBatches(body: string): number {
  try {
    const upload = JSON.parse(body) as { batches?: unknown[] };
    return Array.isArray(upload.batches) ? upload.batches.length : 0;
  } catch {
    return 0;
  }
}
