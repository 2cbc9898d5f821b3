/** `agora tasks [--all] [--json] [--master URL]`: the master's tasks (GET_TASKS) as a table. */
import { Command } from 'commander';
import { processOutput, runClientCommand, type Output } from './apps-client.js';
import { taskTable, tasksOf, type GetTasksJson } from './cluster-format.js';
import { OperatorClient, masterBaseUrl, type OperatorCaller } from './operator-client.js';

/** Options of the cluster listing commands. */
export interface ListOptions {
  master?: string;
  json?: boolean;
  all?: boolean;
}

/** Lists tasks: non-terminal ones, plus completed ones with `all`; `json` prints them as a JSON array. */
export async function listTasks(client: OperatorCaller, o: Output, opts: ListOptions): Promise<void> {
  const r = await client.call<{ get_tasks?: GetTasksJson }>('GET_TASKS');
  const tasks = tasksOf(r.get_tasks ?? {}, opts.all === true);
  if (opts.json === true) return o.out(JSON.stringify(tasks, null, 2));
  for (const line of taskTable(tasks)) o.out(line);
}

/** The command; `action` receives the parsed options (tests pass their own). */
export function tasksCommand(action: (opts: ListOptions) => Promise<void> = (opts) => runClientCommand(() => listTasks(new OperatorClient(masterBaseUrl(opts.master)), processOutput, opts))): Command {
  return new Command('tasks')
    .description('list the cluster\'s tasks (id, framework, agent, state, healthy)')
    .option('--master <url>', 'master address (env AGORA_MASTER, default http://127.0.0.1:5050)')
    .option('--all', 'include completed tasks')
    .option('--json', 'print the v1 Task objects as JSON')
    .action(async (opts: ListOptions) => action(opts));
}
