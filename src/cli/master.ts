/** `agora master`: every MASTER_FLAGS flag as an option; starts the master and runs it until a signal. */
import type { Command } from 'commander';
import { MASTER_FLAGS, startMaster } from '../master/index.js';
import { daemonCommand } from './run-daemon.js';

export function masterCommand(): Command {
  return daemonCommand('master', 'run a master (Mesos v1 scheduler and operator APIs)', MASTER_FLAGS, startMaster, (m) => ({ masterId: m.masterId }));
}
