import { Command, Option } from 'commander';
import { SCOPES, type Scope, createToken, listTokens, revokeToken } from '../registry/tokens.js';
import { output, withRegistry } from './registry-shared.js';
import { serveUntilSignal } from './serve-shared.js';
import { printTable } from './table.js';

/** The server's default upload limit (registry/http/server.ts DEFAULT_MAX_UPLOAD_BYTES), here without loading fastify. */
const MAX_UPLOAD_DEFAULT = 2 * 1024 ** 3;

export function registryServeCommand(): Command {
  return new Command('serve')
    .description(
      'serve the registry HTTP API (/v1, OpenAPI at /openapi.json); bearer tokens from `kiln registry token create`',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', (v) => Number(v), 8700)
    .option(
      '--max-upload-bytes <n>',
      'largest ONNX upload accepted (413 beyond it)',
      (v) => Number(v),
      MAX_UPLOAD_DEFAULT,
    )
    .action(async (o: { host: string; port: number; maxUploadBytes: number }, cmd: Command) =>
      serveUntilSignal(cmd, o, async (registry) => {
        // fastify is loaded only by this command, not by every kiln invocation
        const { buildRegistryServer } = await import('../registry/http/server.js');
        return buildRegistryServer({ registry, maxUploadBytes: o.maxUploadBytes, logger: true });
      }),
    );
}

export function registryTokenCommand(): Command {
  const token = new Command('token').description(
    'API tokens for `kiln registry serve` (scopes: read ⊂ write ⊂ admin)',
  );
  token
    .command('create')
    .description('create a token; it is printed once, only its hash is stored')
    .requiredOption('--name <name>', 'who or what uses it (recorded as the actor of its writes)')
    .addOption(new Option('--scope <scope>', 'scope').choices([...SCOPES]).default('read'))
    .option('--json', 'print JSON')
    .action(async (o: { name: string; scope: Scope; json?: boolean }, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const t = await createToken(reg, o.name, o.scope);
        output(o.json, t, () =>
          console.log(`${t.token}\n(token ${t.id}, ${t.scope}, for ${t.name}; shown once)`),
        );
      }),
    );
  token
    .command('list')
    .description('tokens (without their secrets)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const list = await listTokens(reg);
        output(o.json, list, () =>
          printTable(
            ['id', 'name', 'scope', 'created', 'revoked'],
            list.map((t) => [t.id, t.name, t.scope, t.createdAt, t.revokedAt ?? '-']),
          ),
        );
      }),
    );
  token
    .command('revoke')
    .description('revoke a token')
    .argument('<id>', 'token id', (v) => Number(v))
    .action(async (id: number, _o: unknown, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        await revokeToken(reg, id);
        console.log(`revoked token ${id}`);
      }),
    );
  return token;
}
