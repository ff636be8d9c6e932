import { InferenceSession } from '../../runtime/inference-session.js';
import { Tensor } from '../../runtime/ort-tensor.js';

interface Entry {
  session: Promise<InferenceSession>;
  refs: number;
}

/**
 * One InferenceSession per artifact (by sha256) shared by every simulated device that runs it, so
 * thousands of devices do not hold thousands of copies of the same compiled model. Each device gets
 * its own handle; the shared session is released when the last handle is.
 *
 * `corrupt` makes a handle's outputs wrong (every output's first element becomes NaN): a device
 * whose runtime is broken for that artifact, so the agent's real self-test refuses it.
 */
export class SharedSessions {
  private readonly entries = new Map<string, Entry>();

  async handle(bytes: Uint8Array, sha256: string, corrupt = false): Promise<InferenceSession> {
    let entry = this.entries.get(sha256);
    if (!entry) {
      entry = { session: InferenceSession.create(bytes), refs: 0 };
      this.entries.set(sha256, entry);
      // a failed load must not stay cached
      entry.session.catch(() => this.entries.delete(sha256));
    }
    entry.refs++;
    let shared: InferenceSession;
    try {
      shared = await entry.session;
    } catch (err) {
      entry.refs--;
      throw err;
    }
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      const e = this.entries.get(sha256);
      if (e && --e.refs === 0) {
        this.entries.delete(sha256);
        await shared.release();
      }
    };
    const run = async (...args: Parameters<InferenceSession['run']>) => {
      if (released) throw new Error('the session was released');
      const out = await shared.run(...args);
      return corrupt ? corrupted(out) : out;
    };
    // a handle is the shared session with its own release (and, when corrupt, its own run)
    return new Proxy(shared, {
      get(target, prop) {
        if (prop === 'release') return release;
        if (prop === 'run') return run;
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}

function corrupted(out: Record<string, Tensor>): Record<string, Tensor> {
  const result: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(out)) {
    if (t.type === 'float32' || t.type === 'float64') {
      const data = (t.data as Float32Array | Float64Array).slice();
      if (data.length > 0) data[0] = NaN;
      result[name] = new Tensor(t.type, data, t.dims);
    } else {
      result[name] = t;
    }
  }
  return result;
}
