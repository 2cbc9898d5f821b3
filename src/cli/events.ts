/**
 * `agora events [--type T,...] [--master URL]`: subscribes to the master's v1 operator event stream
 * (SUBSCRIBE) and prints one compact JSON line per event, optionally only the given event types. Runs until
 * interrupted; an unreachable master or a closed stream is one line on stderr and exit code 1.
 */
import { Command } from 'commander';
import { errorMessage } from '../core/errors.js';
import { StreamHttpError, openEventStream } from '../transport/stream-client.js';
import { CliError, processOutput, runClientCommand, type Output } from './apps-client.js';
import { parseEventTypes } from './cluster-format.js';
import { OPERATOR_EXIT_FAILURE, masterBaseUrl } from './operator-client.js';

/** Options of `agora events`. */
export interface EventsOptions {
  master?: string;
  type?: string[];
}

/** Prints events until the stream ends (then throws) or `signal` aborts (then returns). */
export async function printEvents(masterUrl: string, types: ReadonlySet<string> | undefined, o: Output, signal?: AbortSignal): Promise<void> {
  const url = `${masterUrl}/api/v1`;
  try {
    for await (const e of openEventStream({ url, body: { type: 'SUBSCRIBE' }, ...(signal !== undefined ? { signal } : {}) })) {
      const type = typeof e === 'object' && e !== null ? (e as { type?: unknown }).type : undefined;
      if (types === undefined || (typeof type === 'string' && types.has(type))) o.out(JSON.stringify(e));
    }
  } catch (e: unknown) {
    if (signal?.aborted === true) return;
    if (e instanceof StreamHttpError) throw new CliError(`SUBSCRIBE on ${url} answered ${e.status}: ${e.body.trim()}`, OPERATOR_EXIT_FAILURE);
    throw new CliError(`cannot reach the master at ${masterUrl} (${errorMessage(e)}); set --master or AGORA_MASTER`, OPERATOR_EXIT_FAILURE);
  }
  if (signal?.aborted === true) return;
  throw new CliError(`the master at ${masterUrl} closed the event stream`, OPERATOR_EXIT_FAILURE);
}

async function runEvents(opts: EventsOptions): Promise<void> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runClientCommand(() => printEvents(masterBaseUrl(opts.master), parseEventTypes(opts.type), processOutput, abort.signal), processOutput);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The command; `action` receives the parsed options (tests pass their own). */
export function eventsCommand(action: (opts: EventsOptions) => Promise<void> = runEvents): Command {
  return new Command('events')
    .description("print the master's operator event stream, one JSON line per event")
    .option('--master <url>', 'master address (env AGORA_MASTER, default http://127.0.0.1:5050)')
    .option('--type <types>', 'only these event types, e.g. TASK_ADDED,TASK_UPDATED (repeatable)', collect)
    .action(async (opts: EventsOptions) => {
      parseEventTypes(opts.type);
      await action(opts);
    });
}
