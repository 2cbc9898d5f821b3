/**
 * `agora logs <task-id> [--follow] [--stderr] [--master URL]`: prints a task's stdout (or stderr) from its
 * sandbox through the agent's v1 READ_FILE; `--follow` keeps printing new output until the task is terminal
 * and the file is drained. Unknown task or unreachable master: one line on stderr, exit code 1.
 */
import { Command, Option } from 'commander';
import { SystemClock, holdProcessOpen } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { processOutput, runClientCommand } from './apps-client.js';
import { readTaskLog } from './log-reader.js';
import { OperatorClient, masterBaseUrl } from './operator-client.js';

/** Options of `agora logs`. */
export interface LogsOptions {
  master?: string;
  follow?: boolean;
  stderr?: boolean;
  /** Poll interval of --follow in ms. */
  interval: number;
}

async function runLogs(taskId: string, opts: LogsOptions): Promise<void> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // SystemClock timers are unref'd: keep the process alive between polls.
  const release = holdProcessOpen();
  try {
    await runClientCommand(async () => {
      try {
        await readTaskLog(
          { taskId, file: opts.stderr === true ? 'stderr' : 'stdout', follow: opts.follow === true },
          {
            master: new OperatorClient(masterBaseUrl(opts.master)),
            clock: new SystemClock(),
            write: (chunk) => void process.stdout.write(chunk),
            intervalMs: opts.interval,
            signal: abort.signal,
          },
        );
      } catch (e: unknown) {
        if (!abort.signal.aborted) throw e;
      }
    }, processOutput);
  } finally {
    release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The command; `action` receives the task id and parsed options (tests pass their own). */
export function logsCommand(action: (taskId: string, opts: LogsOptions) => Promise<void> = runLogs): Command {
  return new Command('logs')
    .description("print a task's stdout (or stderr) from its sandbox")
    .argument('<task-id>', 'the task id')
    .option('--master <url>', 'master address (env AGORA_MASTER, default http://127.0.0.1:5050)')
    .option('-f, --follow', 'keep printing new output until the task is terminal')
    .option('--stderr', 'print stderr instead of stdout')
    .addOption(new Option('--interval <duration>', 'poll interval of --follow').argParser(parseDuration).default(500, '500ms'))
    .action(async (taskId: string, opts: LogsOptions) => action(taskId, opts));
}
