// An enrolled agent in its own process, for the SIGKILL tests. Args: SERVER DIR. Starts the agent
// (coming back on the slot its pointer names), prints `running <json>`, runs one sync and prints
// `result <json>`, then exits. KILN_AGENT_PAUSE_AT makes it stop at a point of the switch.
import { Agent } from '../../../fleet/agent/agent.js';

const [server, dir] = process.argv.slice(2);
const agent = await Agent.start({ server: server!, dir: dir! });
console.log(`running ${JSON.stringify(agent.running ?? null)}`);
const result = await agent.syncOnce();
console.log(`result ${JSON.stringify(result)}`);
await agent.stop();
