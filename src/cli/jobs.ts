/** `agora jobs`: every JOBS_FLAGS flag as an option; runs the Chronos-compatible job scheduler until a signal. */
import { Command } from 'commander';
import { JOBS_FLAGS, startJobs } from '../jobs/index.js';
import { createLogger } from '../core/log.js';
import { addFlagOptions, resolveCommandFlags } from './daemon-flags.js';
import { stopOnSignals } from './run-daemon.js';

export function jobsCommand(): Command {
  const cmd = new Command('jobs').description('run the Chronos-compatible job scheduler (a framework)');
  addFlagOptions(cmd, JOBS_FLAGS).action(async (opts: Record<string, unknown>) => {
    const flags = resolveCommandFlags(opts, JOBS_FLAGS);
    const logger = createLogger('jobs');
    const jobs = await startJobs(flags, { logger });
    logger.info({ url: jobs.url }, `agora jobs listening at ${jobs.url}`);
    stopOnSignals('jobs', jobs, logger);
  });
  return cmd;
}
