import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { fromBase64 } from '../runtime/artifact/signature.js';
import { KilnError } from '../runtime/errors.js';
import { generateKey, listKeys, revokeKey, trustKey, trustStoreJson } from '../registry/trust.js';
import { addRegistryOptions, output, withRegistry } from './registry-shared.js';
import { printTable } from './table.js';

export function keysCommand(): Command {
  const keys = addRegistryOptions(
    new Command('keys').description(
      'ed25519 signing keys: the registry signs every compiled variant, devices verify',
    ),
  );
  keys
    .command('generate')
    .description('make a key pair: private key to <home>/keys/<id>.pem (mode 600), public key trusted')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const k = await generateKey(reg);
        output(o.json, k, () =>
          console.log(`key ${k.keyId}\n  private key: ${k.privateKeyPath}\n  public key:  ${k.publicKey}`),
        );
      }),
    );
  keys
    .command('list')
    .description('trusted and revoked keys')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const list = await listKeys(reg);
        output(o.json, list, () =>
          printTable(
            ['key id', 'created', 'status', 'can sign'],
            list.map((k) => [
              k.keyId,
              k.createdAt,
              k.revokedAt ? `revoked ${k.revokedAt} (${k.revokedReason})` : 'trusted',
              k.canSign ? 'yes' : 'no',
            ]),
          ),
        );
      }),
    );
  keys
    .command('revoke')
    .description('revoke a key: its signatures stop verifying')
    .argument('<key-id>', 'the key id (kiln keys list)')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (keyId: string, o: { reason: string }, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const k = await revokeKey(reg, keyId, o.reason);
        console.log(`revoked ${k.keyId} at ${k.revokedAt}`);
      }),
    );
  keys
    .command('trust')
    .description("trust another signer's public key (base64 of the 32 raw bytes, or a file holding it)")
    .argument('<public-key>', 'base64 text or a file')
    .action(async (text: string, _o: unknown, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        let b64 = text;
        try {
          b64 = readFileSync(text, 'utf8').trim();
        } catch {
          // not a file: the argument is the key itself
        }
        if (!/^[A-Za-z0-9+/]{43}=$/.test(b64))
          throw new KilnError('not an ed25519 public key', { expected: 'base64 of 32 bytes' });
        console.log(`trusted ${await trustKey(reg, fromBase64(b64))}`);
      }),
    );
  keys
    .command('export-trust')
    .description(
      'write the trust store (public keys, revocations) that devices and the fleet agent verify against',
    )
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (o: { output?: string }, cmd: Command) =>
      withRegistry(cmd, async (reg) => {
        const text = JSON.stringify(await trustStoreJson(reg), null, 2) + '\n';
        if (o.output) writeFileSync(o.output, text);
        else process.stdout.write(text);
      }),
    );
  return keys;
}
