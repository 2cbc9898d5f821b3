/**
 * `agora sim`: runs a simulated agent fleet (src/simulator) against a master or a zk:// group until
 * SIGTERM/SIGINT, printing one JSON stats line every `--report` interval, so a human can load a cluster.
 */
import { Command } from 'commander';
import { SystemClock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { createLogger } from '../core/log.js';
import { DEFAULT_SIM_RESOURCES, startAgentFleet } from '../simulator/index.js';
import { stopOnSignals } from './run-daemon.js';

interface SimCliOptions {
  master: string;
  agents: string;
  resources: string;
  hostnamePrefix: string;
  attributes?: string;
  concurrency: string;
  report: string;
}

async function runSim(o: SimCliOptions): Promise<void> {
  const agents = Number(o.agents);
  const concurrency = Number(o.concurrency);
  if (!Number.isInteger(agents) || agents < 1) throw new Error(`--agents expects a positive integer, got '${o.agents}'`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency expects a positive integer, got '${o.concurrency}'`);
  const clock = new SystemClock();
  const logger = createLogger('sim');
  const fleet = await startAgentFleet({
    master: o.master,
    agents,
    resources: o.resources,
    hostnamePrefix: o.hostnamePrefix,
    ...(o.attributes !== undefined ? { attributes: o.attributes } : {}),
    concurrency,
    clock,
    logger,
  });
  const report = clock.every(parseDuration(o.report), () => process.stdout.write(`${JSON.stringify(fleet.stats())}\n`));
  stopOnSignals(
    'sim',
    {
      url: o.master,
      stop: async () => {
        report.cancel();
        await fleet.stop();
      },
    },
    logger,
  );
}

export function simCommand(action: (o: SimCliOptions) => Promise<void> = runSim): Command {
  return new Command('sim')
    .description('simulated agent fleet: N protocol-level agents whose tasks "run" instantly (load testing)')
    .requiredOption('--master <master>', 'master host:port, http URL, or zk://host:2181,.../path')
    .option('--agents <n>', 'number of simulated agents', '100')
    .option('--resources <resources>', 'resources of each agent (agent --resources syntax)', DEFAULT_SIM_RESOURCES)
    .option('--hostname-prefix <prefix>', 'agent i is <prefix><i>', 'sim-agent-')
    .option('--attributes <attributes>', 'attributes of every agent (agent --attributes syntax)')
    .option('--concurrency <n>', 'SUBSCRIBEs in flight at most', '200')
    .option('--report <duration>', 'stats line interval', '5secs')
    .action(async (o: SimCliOptions) => {
      await action(o);
    });
}
