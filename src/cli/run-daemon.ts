/**
 * Runs a started daemon until SIGTERM or SIGINT, then stops it cleanly and exits 0 (1 if stop() fails).
 * A second signal while stopping is ignored so that stop() can finish its in-flight work.
 */
import type { Logger } from '../core/log.js';
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
