/** `agora master`: every MASTER_FLAGS flag as an option; starts the master and runs it until a signal. */
import { Command } from 'commander';
import { MASTER_FLAGS, startMaster } from '../master/index.js';
import { createLogger } from '../core/log.js';
import { addFlagOptions, resolveCommandFlags } from './daemon-flags.js';
import { stopOnSignals } from './run-daemon.js';

export function masterCommand(): Command {
  const cmd = new Command('master').description('run a master (Mesos v1 scheduler and operator APIs)');
  addFlagOptions(cmd, MASTER_FLAGS).action(async (opts: Record<string, unknown>) => {
    const flags = resolveCommandFlags(opts, MASTER_FLAGS);
    const logger = createLogger('master');
    const master = await startMaster(flags, { logger });
    logger.info({ url: master.url, masterId: master.masterId }, `agora master listening at ${master.url}`);
    stopOnSignals('master', master, logger);
  });
  return cmd;
}
