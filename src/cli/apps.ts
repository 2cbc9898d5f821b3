/** `agora apps`: every APPS_FLAGS flag as an option; starts the Marathon-compatible framework until a signal. */
import type { Command } from 'commander';
import { APPS_FLAGS, startApps } from '../apps/index.js';
import { daemonCommand } from './run-daemon.js';

export function appsCommand(): Command {
  return daemonCommand('apps', 'run the Marathon-compatible apps framework (/v2 API)', APPS_FLAGS, startApps);
}
