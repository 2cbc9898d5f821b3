/** `agora apps`: every APPS_FLAGS flag as an option; starts the Marathon-compatible framework until a signal. */
import { Command } from 'commander';
import { APPS_FLAGS, startApps } from '../apps/index.js';
import { createLogger } from '../core/log.js';
import { addFlagOptions, resolveCommandFlags } from './daemon-flags.js';
import { stopOnSignals } from './run-daemon.js';

export function appsCommand(): Command {
  const cmd = new Command('apps').description('run the Marathon-compatible apps framework (/v2 API)');
  addFlagOptions(cmd, APPS_FLAGS).action(async (opts: Record<string, unknown>) => {
    const flags = resolveCommandFlags(opts, APPS_FLAGS);
    const logger = createLogger('apps');
    const apps = await startApps(flags, { logger });
    logger.info({ url: apps.url }, `agora apps listening at ${apps.url}`);
    stopOnSignals('apps', apps, logger);
  });
  return cmd;
}
