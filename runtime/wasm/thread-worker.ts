/**
 * What each thread of a threaded session runs. It is shipped to a worker as source text
 * (`threadWorkerSource`), so the same code starts in Node's worker_threads (eval) and in a browser
 * Worker (blob URL) without a separate script file to locate or bundle. It must therefore be
 * self-contained: no imports, no closures over module scope, plain JS once types are stripped.
 */

/** Messages main → worker. */
export type ToThread =
  | {
      type: 'init';
      module: WebAssembly.Module;
      memory: WebAssembly.Memory;
      tid: number;
      nthreads: number;
      /** Int32 indices of the sync block's abort, generation and run words in the memory. */
      abortWord: number;
      generationWord: number;
      runWord: number;
    }
  | { type: 'run' };

/** Messages worker → main. */
export type FromThread =
  | { type: 'ready' }
  | { type: 'done' }
  | { type: 'error'; message: string; secondary?: boolean };

/** How the worker talks to its parent: postMessage and a message listener, per platform. */
export interface ThreadPort {
  post(msg: FromThread): void;
  listen(handler: (msg: ToThread) => void): void;
}

export function threadWorkerMain(port: ThreadPort): void {
  let run: ((tid: number, nthreads: number) => void) | undefined;
  let words: Int32Array | undefined;
  let init: (ToThread & { type: 'init' }) | undefined;
  const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  port.listen((msg) => {
    if (msg.type === 'init') {
      try {
        const instance = new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } });
        run = instance.exports.run as (tid: number, nthreads: number) => void;
        words = new Int32Array(msg.memory.buffer);
        init = msg;
        port.post({ type: 'ready' });
      } catch (e) {
        port.post({ type: 'error', message: describe(e) });
      }
      return;
    }
    if (!run || !words || !init) {
      port.post({ type: 'error', message: 'run before init' });
      return;
    }
    try {
      Atomics.load(words, init.runWord); // acquire the inputs the main thread wrote
      run(init.tid, init.nthreads);
      port.post({ type: 'done' });
    } catch (e) {
      // wake the other threads out of their barrier: they trap on the abort word. A thread that finds
      // the word already set failed because another did (or the pool was released): it says so.
      const secondary = Atomics.exchange(words, init.abortWord, 1) !== 0;
      Atomics.notify(words, init.generationWord);
      port.post({ type: 'error', message: describe(e), secondary });
    }
  });
}

/**
 * The worker's source: threadWorkerMain applied to a port built by `portSource` (a JS expression,
 * e.g. from worker_threads' parentPort or a browser Worker's `self`).
 */
export function threadWorkerSource(portSource: string): string {
  return `"use strict";\n(${threadWorkerMain.toString()})(${portSource});\n`;
}
