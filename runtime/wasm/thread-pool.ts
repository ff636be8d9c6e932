import { KilnError } from '../errors.js';
import { SYNC, threadSpinLimit } from './layout.js';
import type { FromThread, ToThread } from './thread-worker.js';

/** One worker as the pool sees it; node-threads.ts and browser-threads.ts make them. */
export interface ThreadHandle {
  post(msg: ToThread): void;
  onMessage(handler: (msg: FromThread) => void): void;
  /** An uncaught error in the worker, or its exit (code) while the pool still uses it. */
  onFailure(handler: (why: string) => void): void;
  /** Keep the process alive while work is pending (Node); no-op in browsers. */
  ref(): void;
  unref(): void;
  terminate(): void;
}

export type SpawnThread = () => ThreadHandle;

interface Pending {
  remaining: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Workers that each run the threaded module's `run(tid, nthreads)` on one shared memory. `run()` bumps
 * the run word (publishing the inputs already written), tells every worker to start and resolves when
 * all are done. A failing worker (a trap, an uncaught error, an exit) sets the abort word so the others
 * leave their barrier (their own traps then come marked secondary and are not reported), rejects the
 * run with a KilnError naming the thread, and ends the pool: later runs reject with the same error.
 * Idle workers do not keep a Node process alive.
 */
export class ThreadPool {
  private pending: Pending | undefined;
  private failure: KilnError | undefined;
  private released = false;
  private readonly words: Int32Array;

  private constructor(
    private readonly threads: ThreadHandle[],
    memory: WebAssembly.Memory,
    private readonly syncOffset: number,
    private readonly file?: string,
  ) {
    this.words = new Int32Array(memory.buffer);
  }

  static async start(
    spawn: SpawnThread,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    nthreads: number,
    syncOffset: number,
    /** `cores`: what the process may use, for the barrier's spin budget (unknown: assume enough). */
    opts: { file?: string; cores?: number } = {},
  ): Promise<ThreadPool> {
    const { file } = opts;
    const threads: ThreadHandle[] = [];
    const pool = new ThreadPool(threads, memory, syncOffset, file);
    Atomics.store(
      pool.words,
      (syncOffset + SYNC.spinLimit) / 4,
      threadSpinLimit(nthreads, opts.cores ?? nthreads),
    );
    const word = (off: number) => (syncOffset + off) / 4;
    const ready = Array.from({ length: nthreads }, (_, tid) => {
      const t = spawn();
      threads.push(t);
      t.ref();
      return new Promise<void>((resolve, reject) => {
        t.onMessage((msg) => {
          if (msg.type === 'ready') {
            t.unref();
            resolve();
          } else if (msg.type === 'done') pool.threadDone();
          else if (!msg.secondary) reject(pool.fail(tid, msg.message));
        });
        t.onFailure((why) => reject(pool.fail(tid, why)));
        t.post({
          type: 'init',
          module,
          memory,
          tid,
          nthreads,
          abortWord: word(SYNC.abort),
          generationWord: word(SYNC.generation),
          runWord: word(SYNC.run),
        });
      });
    });
    try {
      await Promise.all(ready);
    } catch (err) {
      pool.release();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.threads.length;
  }

  /** Run the module once on every thread; one run at a time (the caller queues). */
  run(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.released) return Promise.reject(this.error('the session was released'));
    if (this.pending) return Promise.reject(this.error('internal error: overlapping runs'));
    return new Promise<void>((resolve, reject) => {
      this.pending = { remaining: this.threads.length, resolve, reject };
      Atomics.add(this.words, (this.syncOffset + SYNC.run) / 4, 1);
      for (const t of this.threads) {
        t.ref();
        t.post({ type: 'run' });
      }
    });
  }

  /** Terminate the workers; pending and later runs reject. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.abortBarrier();
    for (const t of this.threads) t.terminate();
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.failure ?? this.error('the session was released during a run'));
  }

  private threadDone(): void {
    const p = this.pending;
    if (!p) return;
    if (--p.remaining > 0) return;
    this.pending = undefined;
    for (const t of this.threads) t.unref();
    p.resolve();
  }

  private fail(tid: number, why: string): KilnError {
    if (this.failure || this.released) return this.failure ?? this.error(`thread ${tid} failed: ${why}`);
    this.failure = this.error(`thread ${tid} of ${this.threads.length} failed: ${why}`);
    const p = this.pending;
    this.pending = undefined;
    this.release();
    p?.reject(this.failure);
    return this.failure;
  }

  private abortBarrier(): void {
    Atomics.store(this.words, (this.syncOffset + SYNC.abort) / 4, 1);
    Atomics.notify(this.words, (this.syncOffset + SYNC.generation) / 4);
  }

  private error(msg: string): KilnError {
    return new KilnError(msg, { file: this.file });
  }
}
