/**
 * The agent daemon's public surface: AGENT_FLAGS and startAgent(). The agent recovers its checkpoint,
 * serves HTTP, registers with the master and runs command tasks as processes that outlive it.
 */
import type { FlagValues } from '../core/flags.js';
import { SystemClock, type Clock } from '../core/clock.js';
import { randomSeed, SeededRng, type Rng } from '../core/rng.js';
import { silentLogger, type Logger } from '../core/log.js';
import { createHttpServer } from '../transport/http-server.js';
import { agentConfig } from './config.js';
import { Agent } from './agent.js';
import { registerAgentRoutes } from './http/routes.js';

export { AGENT_FLAGS, parseAttributes, detectResources, type AgentConfig } from './config.js';
export { Agent } from './agent.js';

export interface RunningAgent {
  readonly url: string;
  readonly port: number;
  /** The agent actor (tests and `agora up` read its state). */
  readonly agent: Agent;
  /** Stops timers, streams and the server; running tasks keep running (a restart recovers them). */
  stop(): Promise<void>;
}

export interface StartAgentDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly rng?: Rng;
  /** Called when the master shuts this agent down (it was removed from the cluster). */
  readonly onShutdown?: (message: string) => void;
}

/** Starts an agent: recovery first (so a restarted agent re-registers with its id and tasks), then HTTP, then the master link. */
export async function startAgent(flags: FlagValues, deps: StartAgentDeps = {}): Promise<RunningAgent> {
  const config = await agentConfig(flags);
  const clock = deps.clock ?? new SystemClock();
  const logger = deps.logger ?? silentLogger();
  const rng = deps.rng ?? new SeededRng(randomSeed());
  const agent = new Agent(config, { clock, logger, rng, ...(deps.onShutdown ? { onShutdown: deps.onShutdown } : {}) });
  await agent.recover();
  const app = createHttpServer({ bodyLimitBytes: config.maxBodyBytes });
  registerAgentRoutes(app, agent, flags);
  await app.listen({ host: config.ip, port: config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : config.port;
  agent.start(port);
  const url = `http://${config.ip}:${port}`;
  logger.info({ url, master: config.master, workDir: config.workDir }, 'agent started');
  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    agent,
    stop: () => {
      stopping ??= (async () => {
        await agent.stop();
        await app.close();
      })();
      return stopping;
    },
  };
}
