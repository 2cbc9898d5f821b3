/** `agora jobs`: every JOBS_FLAGS flag as an option; runs the Chronos-compatible job scheduler until a signal. */
import type { Command } from 'commander';
import { JOBS_FLAGS, startJobs } from '../jobs/index.js';
import { daemonCommand } from './run-daemon.js';

export function jobsCommand(): Command {
  return daemonCommand('jobs', 'run the Chronos-compatible job scheduler (a framework)', JOBS_FLAGS, startJobs);
}
