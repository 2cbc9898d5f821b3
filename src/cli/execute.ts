/** `agora execute`: mesos-execute's flags (the subset Agora supports), wired to runExecute. */
import { Command, Option } from 'commander';
import { userInfo } from 'node:os';
import { SystemClock } from '../core/clock.js';
import { SeededRng, randomSeed } from '../core/rng.js';
import { createLogger } from '../core/log.js';
import { parseDuration } from '../core/duration.js';
import { parseFlagValue } from '../core/flags.js';
import { parseResources } from '../core/resources.js';
import { newUuid } from '../core/ids.js';
import { parseEnvFlag, type ExecuteSpec } from './execute-task.js';
import { runExecute } from './execute-session.js';

export interface ExecuteOptions {
  master: string;
  name?: string;
  command: string;
  shell: boolean;
  env?: Record<string, string>;
  resources: string;
  framework_name: string;
  role: string;
  checkpoint: boolean;
  partition_aware: boolean;
  kill_after?: number;
}

const bool = (name: string) => (text: string): boolean => parseFlagValue({ name, type: 'bool', help: '' }, text) as boolean;

/** The command with its options; `action` receives the parsed options (tests pass their own). */
export function executeCommand(action: (opts: ExecuteOptions) => Promise<void> = runFromCli): Command {
  return new Command('execute')
    .description('run one task on the cluster, like mesos-execute')
    .requiredOption('--master <host:port>', 'master to subscribe to (host:port, or zk://host:2181,.../path to follow the leader)')
    .option('--name <name>', 'task name and task id (default: agora-execute-<short uuid>)')
    .requiredOption('--command <command>', 'command to run')
    .addOption(new Option('--shell [bool]', 'run the command with sh -c').argParser(bool('shell')).default(true))
    .addOption(new Option('--no-shell', 'same as --shell=false'))
    .addOption(new Option('--env <json>', 'environment: a JSON object of name to value, or file://<path>').argParser(parseEnvFlag))
    .option('--resources <resources>', 'task resources', 'cpus:1;mem:128')
    .option('--framework_name <name>', 'framework name', 'agora-execute instance')
    .option('--role <role>', 'role of the framework', '*')
    .addOption(new Option('--checkpoint [bool]', 'ask agents to checkpoint the task').argParser(bool('checkpoint')).default(false))
    .addOption(new Option('--partition_aware [bool]', 'framework is PARTITION_AWARE').argParser(bool('partition_aware')).default(true))
    .addOption(new Option('--no-partition_aware', 'same as --partition_aware=false'))
    .addOption(new Option('--kill_after <duration>', 'kill the task this long after TASK_RUNNING (e.g. 10secs)').argParser(parseDuration))
    .action(async (opts: ExecuteOptions) => action(opts));
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}

/** The ExecuteSpec of parsed options (default task name `agora-execute-<8 hex>`). */
export function specFromOptions(opts: ExecuteOptions, user = currentUser(), uuid = newUuid()): ExecuteSpec {
  return {
    name: opts.name ?? `agora-execute-${uuid.slice(0, 8)}`,
    command: opts.command,
    shell: opts.shell,
    env: opts.env,
    frameworkName: opts.framework_name,
    role: opts.role,
    checkpoint: opts.checkpoint,
    partitionAware: opts.partition_aware,
    user,
  };
}

async function runFromCli(opts: ExecuteOptions): Promise<void> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const code = await runExecute({
    master: opts.master,
    spec: specFromOptions(opts),
    resources: parseResources(opts.resources),
    killAfterMs: opts.kill_after,
    clock: new SystemClock(),
    rng: new SeededRng(randomSeed()),
    logger: createLogger('execute', process.env['AGORA_LOG_LEVEL'] ?? 'warn'),
    out: (line) => process.stdout.write(`${line}\n`),
    signal: abort.signal,
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
}
