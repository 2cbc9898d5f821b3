/**
 * A small cluster (one master, N agents) with the fast flags integration tests use, and lookups of agent
 * ids through the master's public `/master/slaves` endpoint.
 */
import { isHealthy, spawnAgora, startAgent, startMaster, tempDir, SMALL_RESOURCES, type Daemon, type FlagMap } from './daemons.js';
import { freePort } from './ports.js';
import { getJson } from './http.js';
import { waitFor } from './wait.js';

/** Master flags that make allocation, health checks and heartbeats fast. */
export const FAST_MASTER_FLAGS: FlagMap = {
  allocation_interval: '100ms',
  agent_ping_timeout: '1secs',
  max_agent_ping_timeouts: 2,
  heartbeat_interval: '1secs',
};

/** Agent flags that make status update retries fast. */
export const FAST_AGENT_FLAGS: FlagMap = { status_update_retry_interval: '500ms' };

export interface SlaveJson {
  readonly id: string;
  readonly pid: string;
  readonly hostname: string;
  readonly port: number;
  readonly active: boolean;
}

/** `/master/slaves` agents. */
export async function slaves(master: Daemon | string): Promise<SlaveJson[]> {
  const url = typeof master === 'string' ? master : master.url;
  const body = await getJson<{ slaves: SlaveJson[] }>(`${url}/master/slaves`);
  return body.slaves;
}

/** Waits until the master lists the agent (matched by port in pid or `port`) and returns its id. */
export async function agentIdOf(master: Daemon, agent: Daemon, timeoutMs = 20_000): Promise<string> {
  const s = await waitFor(async () => (await slaves(master)).find((x) => x.port === agent.port || x.pid.endsWith(`:${agent.port}`)), {
    timeoutMs,
    what: `agent ${agent.hostPort} in ${master.url}/master/slaves`,
  });
  return s.id;
}

export interface Cluster {
  readonly master: Daemon;
  readonly agents: Daemon[];
  readonly agentIds: string[];
}

export interface ClusterOptions {
  readonly agents?: number;
  readonly masterFlags?: FlagMap;
  readonly agentFlags?: FlagMap;
  readonly resources?: string;
}

/** Starts a master and `agents` agents (default 1) and waits until every agent is registered. */
export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const master = await startMaster({ flags: { ...FAST_MASTER_FLAGS, ...o.masterFlags } });
  const agents = await Promise.all(
    Array.from({ length: o.agents ?? 1 }, () => startAgent({ master, resources: o.resources ?? SMALL_RESOURCES, flags: { ...FAST_AGENT_FLAGS, ...o.agentFlags } })),
  );
  const agentIds = await Promise.all(agents.map((a) => agentIdOf(master, a)));
  return { master, agents, agentIds };
}

/** A short unique marker for task command lines and environments. */
export function uniqueMarker(): string {
  return `${Date.now() % 1_000_000}${Math.floor(Math.random() * 1e6)}`;
}

/** A real `agora apps` (fast ticks, revives and declines, as the integration tests need) subscribed to a master; resolves its URL. */
export async function startAppsDaemon(masterHostPort: string, prefix = 'agora-apps-'): Promise<string> {
  const workDir = tempDir(prefix);
  const port = await freePort();
  const p = spawnAgora(`apps-${port}`, [
    'apps', '--port', String(port), '--master', masterHostPort, '--work_dir', workDir,
    '--tick_interval', '200ms', '--min_revive_offers_interval', '200ms', '--decline_offer_duration', '1secs',
  ], workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (p.exitCode() !== undefined) throw new Error(`apps exited: ${p.log()}`);
    return isHealthy(url);
  }, { timeoutMs: 20_000, what: 'agora apps /health' });
  return url;
}
