/**
 * The `agora` program: one sub-command per daemon or tool, each defined in its own file. Only the module of the sub-command being run is loaded (all of them for help or an unknown name): the
 * daemons' module graphs are large, and client commands such as `agora app list` should start fast.
 */
import { Command } from 'commander';
import { AGORA_VERSION, MESOS_VERSION } from '../core/version.js';

/** Sub-commands in help order, each loaded on demand. */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Command>]> = [
  ['master', async () => (await import('./master.js')).masterCommand()],
  ['agent', async () => (await import('./agent.js')).agentCommand()],
  ['execute', async () => (await import('./execute.js')).executeCommand()],
  ['up', async () => (await import('./up.js')).upCommand()],
  ['apps', async () => (await import('./apps.js')).appsCommand()],
  ['jobs', async () => (await import('./jobs.js')).jobsCommand()],
  ['app', async () => (await import('./app.js')).appCommand()],
  ['deploy', async () => (await import('./deploy.js')).deployCommand()],
  ['job', async () => (await import('./job.js')).jobCommand()],
  ['tasks', async () => (await import('./tasks.js')).tasksCommand()],
  ['agents', async () => (await import('./agents.js')).agentsCommand()],
  ['frameworks', async () => (await import('./frameworks.js')).frameworksCommand()],
  ['logs', async () => (await import('./logs.js')).logsCommand()],
  ['events', async () => (await import('./events.js')).eventsCommand()],
  ['lb', async () => (await import('./lb.js')).lbCommand()],
  ['dns', async () => (await import('./dns.js')).dnsCommand()],
  ['sim', async () => (await import('./sim.js')).simCommand()],
];

/** The program with the sub-command named `only` registered, or every sub-command when it is not one. */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('agora')
    .description('Agora: a cluster manager wire-compatible with Apache Mesos v1')
    .version(`${AGORA_VERSION} (Mesos API ${MESOS_VERSION})`);
  const chosen = COMMANDS.filter(([name]) => name === only);
  for (const [, load] of chosen.length > 0 ? chosen : COMMANDS) program.addCommand(await load());
  return program;
}
