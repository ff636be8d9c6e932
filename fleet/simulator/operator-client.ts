import { KilnError } from '../../runtime/errors.js';

/** The operator side of the simulator: registry and fleet API calls with an admin token. */
export class OperatorClient {
  private readonly base: string;

  constructor(
    server: string,
    private readonly token: string,
  ) {
    this.base = server.replace(/\/+$/, '');
  }

  /** Call `/fleet/v1<path>` (or `/registry/v1…` with `api: 'registry'`); non-2xx throws with the body. */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    o: { api?: 'fleet' | 'registry'; allow?: number[] } = {},
  ): Promise<T> {
    const url = `${this.base}/${o.api ?? 'fleet'}/v1${path}`;
    const binary = body instanceof Uint8Array;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined
            ? {}
            : { 'content-type': binary ? 'application/octet-stream' : 'application/json' }),
        },
        ...(body === undefined ? {} : { body: binary ? body : JSON.stringify(body) }),
      });
    } catch (err) {
      throw new KilnError(`cannot reach the fleet server at ${this.base}: ${(err as Error).message}`, {
        expected: 'a running `kiln serve` at --server URL',
      });
    }
    const text = await res.text();
    if (!res.ok && !o.allow?.includes(res.status)) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new KilnError(`${method} ${url}: HTTP ${res.status}: ${detail.slice(0, 500)}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
