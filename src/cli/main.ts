/**
 * The `agora` command: one sub-command per daemon or tool, each defined in its own file. Errors from an
 * action are printed as `error: <message>` and exit 1; commander reports unknown options and missing values.
 */
import { Command } from 'commander';
import { AGORA_VERSION, MESOS_VERSION } from '../core/version.js';
import { errorMessage } from '../core/errors.js';
import { masterCommand } from './master.js';
import { agentCommand } from './agent.js';
import { executeCommand } from './execute.js';
import { upCommand } from './up.js';
import { appsCommand } from './apps.js';
import { jobsCommand } from './jobs.js';
import { appCommand } from './app.js';
import { deployCommand } from './deploy.js';
import { tasksCommand } from './tasks.js';
import { agentsCommand } from './agents.js';
import { frameworksCommand } from './frameworks.js';
import { logsCommand } from './logs.js';
import { eventsCommand } from './events.js';
import { jobCommand } from './job.js';
import { lbCommand } from './lb.js';
import { dnsCommand } from './dns.js';

/** The program with every sub-command registered. */
export function buildProgram(): Command {
  return new Command('agora')
    .description('Agora: a cluster manager wire-compatible with Apache Mesos v1')
    .version(`${AGORA_VERSION} (Mesos API ${MESOS_VERSION})`)
    .addCommand(masterCommand())
    .addCommand(agentCommand())
    .addCommand(executeCommand())
    .addCommand(upCommand())
    .addCommand(appsCommand())
    .addCommand(jobsCommand())
    .addCommand(appCommand())
    .addCommand(deployCommand())
    .addCommand(jobCommand())
    .addCommand(tasksCommand())
    .addCommand(agentsCommand())
    .addCommand(frameworksCommand())
    .addCommand(logsCommand())
    .addCommand(eventsCommand())
    .addCommand(lbCommand())
    .addCommand(dnsCommand());
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (e: unknown) {
  process.stderr.write(`error: ${errorMessage(e)}\n`);
  process.exit(1);
}
