/**
 * What each thread of a threaded session runs, and the messages it exchanges with the pool. The code
 * is shipped to a worker as source text, so the same code starts in Node's worker_threads (eval) and
 * in a browser Worker (blob URL) without a script file to locate or bundle. It is a plain JS string,
 * not a TS function's toString(): transpilers (tsx/esbuild keepNames, coverage) inject helpers into
 * functions that would not exist in the worker.
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

/**
 * Messages worker → main. `secondary`: the thread trapped because another had already failed (or the
 * pool was released) and set the abort word.
 */
export type FromThread =
  { type: 'ready' } | { type: 'done' } | { type: 'error'; message: string; secondary?: boolean };

/**
 * The worker body, applied to a port `{post(msg), listen(handler)}`. On `init` it instantiates the
 * module on the shared memory; on `run` it reads the run word (acquiring the inputs the main thread
 * wrote) and calls `run(tid, nthreads)`. A trap sets the abort word and wakes the barrier's sleepers so
 * the other threads trap too instead of waiting forever.
 */
const WORKER_MAIN = `function threadWorkerMain(port) {
  let run, words, init;
  const describe = (e) => (e instanceof Error ? e.name + ': ' + e.message : String(e));
  port.listen((msg) => {
    if (msg.type === 'init') {
      try {
        const instance = new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } });
        run = instance.exports.run;
        words = new Int32Array(msg.memory.buffer);
        init = msg;
        port.post({ type: 'ready' });
      } catch (e) {
        port.post({ type: 'error', message: describe(e) });
      }
      return;
    }
    if (!run) {
      port.post({ type: 'error', message: 'run before init' });
      return;
    }
    try {
      Atomics.load(words, init.runWord);
      run(init.tid, init.nthreads);
      port.post({ type: 'done' });
    } catch (e) {
      const secondary = Atomics.exchange(words, init.abortWord, 1) !== 0;
      Atomics.notify(words, init.generationWord);
      port.post({ type: 'error', message: describe(e), secondary });
    }
  });
}`;

/**
 * The worker's source: the worker body applied to a port built by `portSource` (a JS expression, e.g.
 * from worker_threads' parentPort or a browser Worker's `self`).
 */
export function threadWorkerSource(portSource: string): string {
  return `"use strict";\n(${WORKER_MAIN})(${portSource});\n`;
}
