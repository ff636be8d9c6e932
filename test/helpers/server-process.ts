import { type ChildProcess, spawn } from 'node:child_process';
import { kilnNodeArgs } from './cli.js';
import { PROJECT_ROOT } from './paths.js';

/** Starting tsx and the CLI takes a while on a loaded 2-core machine. */
export const SERVER_STARTUP_MS = 100_000;

export interface ServerProcess {
  child: ChildProcess;
  /** The URL the process printed (fastify's "Server listening at URL" line by default). */
  url: string;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
  /** Everything it printed so far (for failure messages). */
  output(): string;
}

/**
 * Start `kiln <args>` (a server command, `--port 0`) as a real process and wait for `line` in its
 * output. A process that never gets there (a loaded machine, a hang) is killed, not left behind.
 */
export function startKilnServer(
  args: string[],
  line = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, kilnNodeArgs(args), {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kiln ${args.join(' ')} printed no ${line} in ${SERVER_STARTUP_MS} ms:\n${seen}`));
    }, SERVER_STARTUP_MS);
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = line.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, exited, output: () => seen });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`kiln ${args.join(' ')} exited ${code} before listening:\n${seen}`));
    });
  });
}
