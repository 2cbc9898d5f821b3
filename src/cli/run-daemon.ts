/**
 * Runs a started daemon until SIGTERM or SIGINT, then stops it cleanly and exits 0 (1 if stop() fails).
 * A second signal while stopping is ignored so that stop() can finish its in-flight work.
 */
import { Command } from 'commander';
import type { FlagSpec, FlagValues } from '../core/flags.js';
import { createLogger, type Logger } from '../core/log.js';
import { addFlagOptions, resolveCommandFlags } from './daemon-flags.js';
import { errorMessage } from '../core/errors.js';

export interface Stoppable {
  readonly url: string;
  stop(): Promise<void>;
}

export function stopOnSignals(name: string, daemon: Stoppable, logger: Logger, exit: (code: number) => void = (c) => process.exit(c)): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${name} stopping`);
    daemon.stop().then(
      () => {
        logger.info(`${name} stopped`);
        exit(0);
      },
      (e: unknown) => {
        logger.error({ err: errorMessage(e) }, `${name} failed to stop cleanly`);
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * `agora <name>` for a daemon with no extra wiring: every flag of `specs` as an option (env fallback), start it,
 * log its URL (plus `fields` of the running daemon), run until SIGTERM/SIGINT.
 */
export function daemonCommand<D extends Stoppable>(
  name: string,
  description: string,
  specs: readonly FlagSpec[],
  start: (flags: FlagValues, deps: { logger: Logger }) => Promise<D>,
  fields: (daemon: D) => Record<string, string> = () => ({}),
): Command {
  const cmd = new Command(name).description(description);
  addFlagOptions(cmd, specs).action(async (opts: Record<string, unknown>) => {
    const logger = createLogger(name);
    const daemon = await start(resolveCommandFlags(opts, specs), { logger });
    logger.info({ url: daemon.url, ...fields(daemon) }, `agora ${name} listening at ${daemon.url}`);
    stopOnSignals(name, daemon, logger);
  });
  return cmd;
}
