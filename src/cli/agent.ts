/** `agora agent`: every AGENT_FLAGS flag as an option; starts the agent and runs it until a signal. */
import { Command } from 'commander';
import { AGENT_FLAGS, startAgent } from '../agent/index.js';
import { createLogger } from '../core/log.js';
import { addFlagOptions, resolveCommandFlags } from './daemon-flags.js';
import { stopOnSignals } from './run-daemon.js';

export function agentCommand(): Command {
  const cmd = new Command('agent').description('run an agent (launches tasks offered by the master)');
  addFlagOptions(cmd, AGENT_FLAGS).action(async (opts: Record<string, unknown>) => {
    const flags = resolveCommandFlags(opts, AGENT_FLAGS);
    const logger = createLogger('agent');
    // A master that shuts this agent down (e.g. marked gone) ends the process, as upstream agents exit.
    const shutdown = { handler: (_message: string): void => undefined };
    const agent = await startAgent(flags, { logger, onShutdown: (message) => shutdown.handler(message) });
    shutdown.handler = (message) => {
      logger.warn({ message }, 'master shut this agent down');
      agent.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    // stop() leaves running tasks alone: they outlive the agent and a restart recovers them.
    logger.info({ url: agent.url }, `agora agent listening at ${agent.url}`);
    stopOnSignals('agent', agent, logger);
  });
  return cmd;
}
