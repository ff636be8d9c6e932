/**
 * A separate process that adds versions to a registry, for the concurrency and crash tests:
 *   node --import tsx add-versions.ts HOME DB|- NAME FILE COUNT START_AT_MS
 * It waits until START_AT_MS (so two workers really overlap), adds COUNT versions of FILE
 * (streamed from disk), and prints the version numbers it got as JSON.
 */
import { createReadStream } from 'node:fs';
import { Registry } from '../../../registry/registry.js';
import { addVersion } from '../../../registry/versions.js';

const [home, db, name, file, count, startAt] = process.argv.slice(2);
const reg = await Registry.open({
  home: home!,
  ...(db && db !== '-' ? { db } : {}),
  actor: `worker-${process.pid}`,
});
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const versions: number[] = [];
for (let i = 0; i < Number(count); i++) {
  const v = await addVersion(reg, {
    name: name!,
    source: createReadStream(file!),
    sourceName: 'model.onnx',
    metrics: { worker: process.pid, i },
  });
  versions.push(v.version);
}
await reg.close();
console.log(JSON.stringify(versions));
