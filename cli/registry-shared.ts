import { type Command, Option } from 'commander';
import { Registry } from '../registry/registry.js';

/** Options every registry command takes (on `kiln registry` and `kiln keys`). */
export function addRegistryOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--home <dir>', 'registry folder (blobs, keys, SQLite database)')
        .env('KILN_HOME')
        .default(undefined, '~/.kiln'),
    )
    .addOption(
      new Option('--db <url>', 'keep the tables in PostgreSQL: postgres://user:pass@host/db').env('KILN_DB'),
    );
}

/** Open the registry named by the command's (global) `--home`/`--db` options. */
export function openRegistry(cmd: Command): Promise<Registry> {
  const o = cmd.optsWithGlobals<{ home?: string; db?: string }>();
  return Registry.open({ ...(o.home ? { home: o.home } : {}), ...(o.db ? { db: o.db } : {}) });
}

/** Open the registry the command's options name, run `fn`, and close it whatever happens. */
export async function withRegistry<T>(cmd: Command, fn: (reg: Registry) => Promise<T>): Promise<T> {
  const reg = await openRegistry(cmd);
  try {
    return await fn(reg);
  } finally {
    await reg.close();
  }
}

/** `--json` prints the record for scripts; otherwise `human` prints it for people. */
export function output(json: boolean | undefined, value: unknown, human: () => void): void {
  if (json) console.log(JSON.stringify(value, null, 2));
  else human();
}

export function shortSha(sha: string): string {
  return sha.slice(0, 12);
}
