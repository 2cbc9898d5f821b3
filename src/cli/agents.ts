/** `agora agents [--json] [--master URL]`: the master's agents (GET_AGENTS) as a table. */
import { Command } from 'commander';
import { processOutput, runClientCommand, type Output } from './apps-client.js';
import { agentTable, type V1AgentJson } from './cluster-format.js';
import { OperatorClient, masterBaseUrl, type OperatorCaller } from './operator-client.js';
import type { ListOptions } from './tasks.js';

/** Lists the registered (and disconnected) agents. */
export async function listAgents(client: OperatorCaller, o: Output, opts: ListOptions): Promise<void> {
  const r = await client.call<{ get_agents?: { agents?: V1AgentJson[] } }>('GET_AGENTS');
  const agents = r.get_agents?.agents ?? [];
  if (opts.json === true) return o.out(JSON.stringify(agents, null, 2));
  for (const line of agentTable(agents)) o.out(line);
}

/** The command; `action` receives the parsed options (tests pass their own). */
export function agentsCommand(action: (opts: ListOptions) => Promise<void> = (opts) => runClientCommand(() => listAgents(new OperatorClient(masterBaseUrl(opts.master)), processOutput, opts))): Command {
  return new Command('agents')
    .description('list the cluster\'s agents (id, hostname, address, active, cpus and mem used/total)')
    .option('--master <url>', 'master address (env AGORA_MASTER, default http://127.0.0.1:5050)')
    .option('--json', 'print the v1 Agent objects as JSON')
    .action(async (opts: ListOptions) => action(opts));
}
