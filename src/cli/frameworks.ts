/** `agora frameworks [--all] [--json] [--master URL]`: the master's frameworks (GET_FRAMEWORKS) as a table. */
import { Command } from 'commander';
import { processOutput, runClientCommand, type Output } from './apps-client.js';
import { frameworkTable, type V1FrameworkJson } from './cluster-format.js';
import { OperatorClient, masterBaseUrl, type OperatorCaller } from './operator-client.js';
import type { ListOptions } from './tasks.js';

/** Lists frameworks; completed ones too with `all`. */
export async function listFrameworks(client: OperatorCaller, o: Output, opts: ListOptions): Promise<void> {
  const r = await client.call<{ get_frameworks?: { frameworks?: V1FrameworkJson[]; completed_frameworks?: V1FrameworkJson[] } }>('GET_FRAMEWORKS');
  const list = [...(r.get_frameworks?.frameworks ?? []), ...(opts.all === true ? (r.get_frameworks?.completed_frameworks ?? []) : [])];
  if (opts.json === true) return o.out(JSON.stringify(list, null, 2));
  for (const line of frameworkTable(list)) o.out(line);
}

/** The command; `action` receives the parsed options (tests pass their own). */
export function frameworksCommand(action: (opts: ListOptions) => Promise<void> = (opts) => runClientCommand(() => listFrameworks(new OperatorClient(masterBaseUrl(opts.master)), processOutput, opts))): Command {
  return new Command('frameworks')
    .description('list the cluster\'s frameworks (id, name, roles, active, connected, allocated cpus and mem)')
    .option('--master <url>', 'master address (env AGORA_MASTER, default http://127.0.0.1:5050)')
    .option('--all', 'include completed frameworks')
    .option('--json', 'print the v1 Framework objects as JSON')
    .action(async (opts: ListOptions) => action(opts));
}
