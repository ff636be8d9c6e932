import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ThreadHandle } from './thread-pool.js';
import { threadWorkerSource } from './thread-worker.js';

const SOURCE = threadWorkerSource(
  `(() => { const { parentPort } = require('node:worker_threads'); ` +
    `return { post: (m) => parentPort.postMessage(m), listen: (h) => parentPort.on('message', h) }; })()`,
);

/** Cores this process may use (its CPU affinity, not the machine's count). */
export const availableCores = (): number => availableParallelism();

/** A thread for a threaded session in Node: a worker_threads Worker running thread-worker.ts. */
export function spawnNodeThread(): ThreadHandle {
  const worker = new Worker(SOURCE, { eval: true });
  let ended = false;
  return {
    post: (msg) => worker.postMessage(msg),
    onMessage: (handler) => worker.on('message', handler),
    onFailure: (handler) => {
      worker.on('error', (err) => handler(`${err.name}: ${err.message}`));
      worker.on('exit', (code) => {
        if (!ended) handler(`the worker exited (code ${code})`);
      });
    },
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: () => {
      ended = true;
      void worker.terminate();
    },
  };
}
