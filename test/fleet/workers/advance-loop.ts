// A second (third…) fleet server process, reduced to what matters: advancing deployments from the
// database in a tight loop. Args: HOME [DB_URL]. Prints "ready", then runs until stdin closes and
// prints how many state changes it made.
import { advance } from '../../../fleet/advance.js';
import { Registry } from '../../../registry/registry.js';

const [home, db] = process.argv.slice(2);
const reg = await Registry.open({ home: home!, ...(db ? { db } : {}), actor: `worker-${process.pid}` });
let stop = false;
process.stdin.on('end', () => (stop = true)).resume();
console.log('ready');
let changes = 0;
while (!stop) {
  changes += await advance(reg);
  await new Promise((r) => setTimeout(r, 2));
}
await reg.close();
console.log(`changes ${changes}`);
