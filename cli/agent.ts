import { Command, Option } from 'commander';
import { compileWasmEagerly } from './eager-wasm.js';
import { Agent, type SyncResult } from '../fleet/agent/agent.js';
import { TARGET_NAMES } from '../runtime/artifact/manifest.js';
import { parseTagArgs } from '../fleet/tags.js';
import { describeSaving } from '../fleet/delivery.js';

function describeResult(r: SyncResult): string | undefined {
  if (r.action === 'installed') {
    const d = r.delivery;
    const how = `${d.mode === 'delta' ? 'by delta' : 'whole'}, downloaded ${describeSaving(d.downloadedBytes, d.artifactBytes)}`;
    return `installed version ${r.version} (${how}${r.resumedFrom ? `, resumed at byte ${r.resumedFrom}` : ''})${d.fallback ? `; no delta: ${d.fallback}` : ''}`;
  }
  if (r.action === 'refused') return `refused version ${r.version}: ${r.reason}`;
  return undefined;
}

export function agentCommand(): Command {
  return new Command('agent')
    .description(
      'run a device agent: enroll once (--token), then poll the fleet server, verify, self-test and switch models',
    )
    .requiredOption('--server <url>', 'the fleet server, e.g. http://127.0.0.1:8700')
    .requiredOption('--dir <dir>', "the agent's folder (identity, A/B slots, staging)")
    .option('--token <token>', 'a one-time enrollment token (first start only)')
    .option('--name <name>', 'device name shown to operators', 'device')
    .addOption(
      new Option('--target <target>', 'the runtime target').choices([...TARGET_NAMES]).default('wasm'),
    )
    .option(
      '--tag <key=value>',
      "a tag asked for at enrollment, repeatable (first start only; the token's tags win)",
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--poll-ms <ms>', 'poll interval while healthy', (v) => Number(v), 30_000)
    .option('--once', 'poll once and exit (exit code 1 if the new version was refused)')
    .option('--no-delta', 'always download whole artifacts, even when a deployment offers delta delivery')
    .action(
      async (o: {
        server: string;
        dir: string;
        token?: string;
        name: string;
        target: (typeof TARGET_NAMES)[number];
        pollMs: number;
        tag: string[];
        once?: boolean;
        delta: boolean;
      }) => {
        compileWasmEagerly(); // a device's first inference after a (re)start should not be the slow one
        const agent = await Agent.start({
          server: o.server,
          dir: o.dir,
          ...(o.token ? { enrollmentToken: o.token } : {}),
          name: o.name,
          target: o.target,
          ...(o.tag.length ? { tags: parseTagArgs(o.tag) } : {}),
          pollMs: o.pollMs,
          delta: o.delta,
        });
        console.log(`agent ${agent.deviceId} (group ${agent.identity.group}) in ${o.dir}`);
        if (o.once) {
          const r = await agent.syncOnce();
          console.log(
            describeResult(r) ??
              `running ${agent.running ? `version ${agent.running.version}` : 'no model yet'}`,
          );
          await agent.stop();
          if (r.action === 'refused') process.exitCode = 1;
          return;
        }
        const stop = () => void agent.stop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await agent.run({
          onResult: (r) => {
            const line = describeResult(r);
            if (line) console.log(`${new Date().toISOString()} ${line}`);
          },
          onError: (err) =>
            console.error(`${new Date().toISOString()} ${(err as Error).message} (retrying with backoff)`),
        });
      },
    );
}
