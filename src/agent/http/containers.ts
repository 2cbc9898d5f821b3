/**
 * `/monitor/statistics` and `/containers` (spec §5.7): one entry per live container (command task or
 * executor), with ResourceStatistics from the containerizer's isolators: cgroups (v1/v2) when they are
 * on, else /proc summed over the task's process group.
 */
import { isTerminalState } from '../../api/mesos/common.js';
import type { Agent } from '../agent.js';
import { containerResources } from '../containerizer/isolators/isolator.js';

interface LiveContainer {
  readonly frameworkId: string;
  readonly executorId: string;
  readonly executorName: string;
  readonly source: string;
  readonly containerId: string;
  readonly supervisorPid: number | undefined;
  readonly resources: ReturnType<typeof containerResources>;
}

/** Running command-task containers and executor containers. */
export function liveContainers(agent: Agent): LiveContainer[] {
  const out: LiveContainer[] = [];
  for (const t of agent.allTasks()) {
    if (isTerminalState(t.state) || t.supervisorPid === undefined || t.executorId !== undefined) continue;
    const tid = t.task.task_id.value;
    out.push({ frameworkId: t.fid, executorId: tid, executorName: `Command Executor (Task: ${tid})`, source: tid, containerId: t.containerId, supervisorPid: t.supervisorPid, resources: containerResources(t.task.resources) });
  }
  for (const e of agent.executors.list()) {
    if (e.phase === 'terminated') continue;
    const eid = e.info.executor_id.value;
    out.push({ frameworkId: e.fid, executorId: eid, executorName: e.info.name ?? '', source: e.info.source ?? eid, containerId: e.containerId, supervisorPid: e.supervisorPid, resources: containerResources(e.info.resources) });
  }
  return out;
}

async function statistics(agent: Agent, live: readonly LiveContainer[]): Promise<Map<string, Record<string, number>>> {
  const usage = await agent.launcher.usage(live.map((c) => c.containerId));
  const now = agent.deps().clock.now() / 1000;
  const out = new Map<string, Record<string, number>>();
  for (const c of live) {
    const u = usage.get(c.containerId) ?? {};
    const stats: Record<string, number> = { timestamp: now, processes: 0, threads: 0, cpus_user_time_secs: 0, cpus_system_time_secs: 0, mem_rss_bytes: 0 };
    for (const [k, v] of Object.entries(u)) if (typeof v === 'number') stats[k] = v;
    stats['cpus_limit'] = c.resources.cpus;
    stats['mem_limit_bytes'] ??= c.resources.memMb * 1024 * 1024;
    if (c.resources.diskMb > 0) stats['disk_limit_bytes'] = c.resources.diskMb * 1024 * 1024;
    out.set(c.containerId, stats);
  }
  return out;
}

/** `/monitor/statistics`: `[{framework_id, executor_id, executor_name, source, statistics}]`. */
export async function monitorStatisticsJson(agent: Agent): Promise<Record<string, unknown>[]> {
  const live = liveContainers(agent);
  const stats = await statistics(agent, live);
  return live.map((c) => ({ framework_id: c.frameworkId, executor_id: c.executorId, executor_name: c.executorName, source: c.source, statistics: stats.get(c.containerId) }));
}

/** `/containers`: as `/monitor/statistics` plus `container_id` and a ContainerStatus under `status`. */
export async function containersJson(agent: Agent): Promise<Record<string, unknown>[]> {
  const live = liveContainers(agent);
  const stats = await statistics(agent, live);
  const out: Record<string, unknown>[] = [];
  for (const c of live) {
    const pid = await agent.launcher.taskPid(c.containerId);
    out.push({
      framework_id: c.frameworkId,
      executor_id: c.executorId,
      executor_name: c.executorName,
      source: c.source,
      container_id: c.containerId,
      status: { container_id: { value: c.containerId }, ...(pid !== undefined ? { executor_pid: pid } : {}) },
      statistics: stats.get(c.containerId),
    });
  }
  return out;
}
