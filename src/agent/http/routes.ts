/**
 * The agent's HTTP surface: `/state` (+ `/slave(1)/state`, `.json`), `/flags`, `/health`, `/version`,
 * `/metrics/snapshot`, `/monitor/statistics` and `/files/*`. Routes are thin: read the Agent, shape JSON.
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { flagsForDisplay, type FlagValues } from '../../core/flags.js';
import { AGORA_VERSION, MESOS_VERSION } from '../../core/version.js';
import { isTerminalState } from '../../api/mesos/common.js';
import type { Agent } from '../agent.js';
import { AGENT_FLAGS } from '../config.js';
import { agentStateJson } from './state-json.js';
import { registerFileRoutes } from './files.js';
import { registerExecutorRoutes } from './executor-route.js';
import { registerAgentOperatorV1Routes } from './operator-v1.js';
import { containersJson, monitorStatisticsJson } from './containers.js';

function json(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json').send(JSON.stringify(body));
}

/** `/metrics/snapshot` keys of an agent (spec §5.8). */
export function agentMetrics(agent: Agent): Record<string, number> {
  const m: Record<string, number> = {};
  const counts: Record<string, number> = { staging: 0, starting: 0, running: 0, killing: 0 };
  let executors = 0;
  for (const t of agent.allTasks()) {
    if (!isTerminalState(t.state) && t.executorId === undefined) executors++; // a command task is its own executor
    const k = t.state.replace('TASK_', '').toLowerCase();
    if (k in counts) counts[k] = (counts[k] ?? 0) + 1;
  }
  const total = agent.checkpointed.total(agent.config.resources);
  const used = agent.usedResources();
  m['slave/registered'] = agent.registered ? 1 : 0;
  m['slave/uptime_secs'] = (agent.deps().clock.now() - agent.startTimeMs) / 1000;
  m['slave/recovery_errors'] = agent.counters.recoveryErrors;
  m['slave/recovery_time_secs'] = agent.recoveryTimeSecs;
  for (const r of ['cpus', 'gpus', 'mem', 'disk']) {
    const t = total.scalar(r);
    const u = used.scalar(r);
    m[`slave/${r}_total`] = t;
    m[`slave/${r}_used`] = u;
    m[`slave/${r}_percent`] = t > 0 ? u / t : 0;
    m[`slave/${r}_revocable_total`] = 0;
    m[`slave/${r}_revocable_used`] = 0;
    m[`slave/${r}_revocable_percent`] = 0;
  }
  m['slave/frameworks_active'] = agent.frameworks.size;
  m['slave/executors_registering'] = [...agent.executors.list()].filter((e) => e.phase === 'launching' || e.phase === 'registering').length;
  m['slave/executors_running'] = executors + [...agent.executors.list()].filter((e) => e.phase === 'running' || e.phase === 'terminating').length;
  m['slave/executors_terminating'] = counts['killing'] ?? 0;
  m['slave/executors_terminated'] = agent.counters.tasksFinished + agent.counters.tasksFailed + agent.counters.tasksKilled + agent.counters.tasksLost;
  m['slave/executors_preempted'] = 0;
  m['slave/container_launch_errors'] = agent.counters.launchErrors;
  m['slave/tasks_staging'] = counts['staging'] ?? 0;
  m['slave/tasks_starting'] = counts['starting'] ?? 0;
  m['slave/tasks_running'] = counts['running'] ?? 0;
  m['slave/tasks_killing'] = counts['killing'] ?? 0;
  m['slave/tasks_finished'] = agent.counters.tasksFinished;
  m['slave/tasks_failed'] = agent.counters.tasksFailed;
  m['slave/tasks_killed'] = agent.counters.tasksKilled;
  m['slave/tasks_lost'] = agent.counters.tasksLost;
  m['slave/tasks_gone'] = agent.counters.tasksGone;
  m['slave/valid_status_updates'] = agent.validStatusUpdates;
  m['slave/invalid_status_updates'] = agent.counters.invalidUpdates;
  m['slave/valid_framework_messages'] = agent.executors.validMessages;
  m['slave/invalid_framework_messages'] = agent.executors.invalidMessages;
  m['containerizer/mesos/container_destroy_errors'] = 0;
  m['containerizer/fetcher/task_fetches_succeeded'] = agent.fetcher.fetchesSucceeded;
  m['containerizer/fetcher/task_fetches_failed'] = agent.fetcher.fetchesFailed;
  m['gc/path_removals_succeeded'] = 0;
  m['gc/path_removals_failed'] = 0;
  m['gc/path_removals_pending'] = 0;
  const [l1, l5, l15] = loadavg();
  m['system/cpus_total'] = cpus().length;
  m['system/load_1min'] = l1 ?? 0;
  m['system/load_5min'] = l5 ?? 0;
  m['system/load_15min'] = l15 ?? 0;
  m['system/mem_total_bytes'] = totalmem();
  m['system/mem_free_bytes'] = freemem();
  return m;
}

/** `/monitor/statistics`: one entry per live container, usage from the containerizer (see containers.ts). */
export function monitorStatistics(agent: Agent): Promise<Record<string, unknown>[]> {
  return monitorStatisticsJson(agent);
}

export function registerAgentRoutes(app: FastifyInstance, agent: Agent, flags: FlagValues): void {
  for (const p of ['/state', '/state.json', '/slave(1)/state', '/slave(1)/state.json']) {
    app.get(p, async (_req, reply) => json(reply, agentStateJson(agent, flags)));
  }
  for (const p of ['/flags', '/slave(1)/flags']) {
    // `isolation` shows what runs (auto resolved, or the posix fallback), not what was asked for.
    app.get(p, async (_req, reply) => json(reply, { flags: { ...flagsForDisplay(AGENT_FLAGS, flags), isolation: agent.launcher.isolation } }));
  }
  for (const p of ['/health', '/slave(1)/health']) {
    app.get(p, async (_req, reply) => reply.code(200).send(''));
  }
  app.get('/version', async (_req, reply) =>
    json(reply, { version: MESOS_VERSION, agora_version: AGORA_VERSION, build_date: '2026-01-01 00:00:00', build_time: 1767225600, build_user: 'agora' }),
  );
  app.get('/metrics/snapshot', async (_req, reply) => json(reply, agentMetrics(agent)));
  for (const p of ['/monitor/statistics', '/monitor/statistics.json']) {
    app.get(p, async (_req, reply) => json(reply, await monitorStatistics(agent)));
  }
  for (const p of ['/containers', '/slave(1)/containers']) {
    app.get(p, async (_req, reply) => json(reply, await containersJson(agent)));
  }
  registerFileRoutes(app, agent);
  registerExecutorRoutes(app, agent);
  registerAgentOperatorV1Routes(app, agent, flags);
}
