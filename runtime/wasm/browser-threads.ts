import type { ThreadHandle } from './thread-pool.js';
import type { FromThread, ToThread } from './thread-worker.js';
import { threadWorkerSource } from './thread-worker.js';

/** The slice of the browser's Worker API used here (the project does not load the DOM libs). */
interface BrowserWorker {
  postMessage(msg: unknown): void;
  terminate(): void;
  addEventListener(type: 'message', fn: (e: { data: FromThread }) => void): void;
  addEventListener(type: 'error' | 'messageerror', fn: (e: { message?: string }) => void): void;
}

interface BrowserGlobals {
  Worker: new (url: string) => BrowserWorker;
  Blob: new (parts: string[], opts: { type: string }) => unknown;
  URL: { createObjectURL(blob: unknown): string; revokeObjectURL(url: string): void };
}

const SOURCE = threadWorkerSource(
  `{ post: (m) => self.postMessage(m), listen: (h) => self.addEventListener('message', (e) => h(e.data)) }`,
);

/**
 * A thread for a threaded session in a browser: a Worker started from a blob URL of thread-worker.ts's
 * source. Shared WebAssembly memory needs a cross-origin isolated page (COOP/COEP headers); a page whose
 * CSP forbids blob: workers cannot use threads.
 */
export function spawnBrowserThread(): ThreadHandle {
  const g = globalThis as unknown as BrowserGlobals;
  const url = g.URL.createObjectURL(new g.Blob([SOURCE], { type: 'text/javascript' }));
  const worker = new g.Worker(url);
  return {
    post: (msg: ToThread) => worker.postMessage(msg),
    onMessage: (handler) => worker.addEventListener('message', (e) => handler(e.data)),
    onFailure: (handler) => {
      worker.addEventListener('error', (e) => handler(e.message ?? 'worker error'));
      worker.addEventListener('messageerror', () => handler('a message could not be deserialised'));
    },
    ref: () => {},
    unref: () => {},
    terminate: () => {
      worker.terminate();
      g.URL.revokeObjectURL(url);
    },
  };
}
