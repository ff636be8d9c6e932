import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, type AgentOptions } from '../../fleet/agent/agent.js';
import type { TestFleet } from './fixtures.js';

/** Enroll `n` in-process agents into `group`, each in its own folder, polling fast. */
export async function startAgents(
  f: TestFleet,
  group: string,
  n: number,
  pollMs = 60,
  extra: Partial<AgentOptions> = {},
): Promise<Agent[]> {
  const agents: Agent[] = [];
  for (let i = 0; i < n; i++) {
    const t = await f.api('POST', '/enrollment-tokens', f.adminToken, { group });
    if (t.status !== 201) throw new Error(`enrollment token: ${JSON.stringify(t.json)}`);
    agents.push(
      await Agent.start({
        server: f.url,
        dir: mkdtempSync(join(tmpdir(), 'kiln-agent-')),
        enrollmentToken: t.json.token,
        name: `${group}-${i}`,
        pollMs,
        backoffBaseMs: 50,
        backoffMaxMs: 500,
        ...extra,
      }),
    );
  }
  return agents;
}
