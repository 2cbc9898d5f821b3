/**
 * agent::Response bodies of the v1 agent operator API (spec §5.10), built from the Agent's public
 * members in protobuf-JSON form (ids as `{value}`, resources as v1 Resource arrays). Pure readers: nothing
 * here changes agent state. Executors: the agent's executor runs (custom executors and the default executor
 * of task groups, `agent.executors`), plus one command executor per command task, whose executor id is
 * its task id (spec §4.3).
 */
import { isTerminalState, type ExecutorInfoJson } from '../../api/mesos/common.js';
import { flagsForDisplay, type FlagValues } from '../../core/flags.js';
import { MESOS_VERSION } from '../../core/version.js';
import type { Agent } from '../agent.js';
import { AGENT_FLAGS } from '../config.js';
import type { FrameworkRecord, TaskRecord } from '../task-record.js';
import { monitorStatistics } from './routes.js';

type Json = Record<string, unknown>;

/** The agent id, or '' before the first registration. */
function agentIdOf(agent: Agent): string {
  return agent.agentId ?? '';
}

/** The HTTP port the agent serves on, parsed from its `slave(1)@ip:port` pid. */
export function agentPort(agent: Agent): number {
  const m = /:(\d+)$/.exec(agent.pid);
  return m?.[1] !== undefined ? Number(m[1]) : agent.config.port;
}

/** mesos.v1.Task of a task record; the last status entry is the full latest TaskStatus. */
export function v1AgentTask(t: TaskRecord, agentId: string): Json {
  const tid = t.task.task_id.value;
  const out: Json = {
    name: t.task.name,
    task_id: { value: tid },
    framework_id: { value: t.fid },
    executor_id: { value: t.executorId ?? t.task.executor?.executor_id.value ?? tid },
    agent_id: { value: agentId },
    state: t.state,
  };
  if ((t.task.resources ?? []).length > 0) out['resources'] = t.task.resources;
  const statuses = t.statuses.map((s, i): Json => {
    if (i === t.statuses.length - 1 && t.latest !== undefined && t.latest.state === s.state) return { ...t.latest };
    return { task_id: { value: tid }, state: s.state, timestamp: s.timestamp, agent_id: { value: agentId }, container_status: { container_id: { value: t.containerId } } };
  });
  if (statuses.length > 0) out['statuses'] = statuses;
  const i = t.task;
  if (i.labels?.labels !== undefined && i.labels.labels.length > 0) out['labels'] = i.labels;
  if (i.discovery !== undefined) out['discovery'] = i.discovery;
  if (i.container !== undefined) out['container'] = i.container;
  if (i.command?.user !== undefined) out['user'] = i.command.user;
  if (i.health_check !== undefined) out['health_check'] = i.health_check;
  if (i.kill_policy !== undefined) out['kill_policy'] = i.kill_policy;
  return out;
}

/** Live tasks, then terminal-but-unacknowledged ones, of every framework; and the completed ones. */
function partition(agent: Agent): { launched: TaskRecord[]; terminated: TaskRecord[]; completed: TaskRecord[] } {
  const launched: TaskRecord[] = [];
  const terminated: TaskRecord[] = [];
  const completed: TaskRecord[] = [];
  for (const fw of [...agent.frameworks.values(), ...agent.completedFrameworks]) {
    for (const t of fw.tasks.values()) (isTerminalState(t.state) ? terminated : launched).push(t);
    completed.push(...fw.completed);
  }
  return { launched, terminated, completed };
}

/** agent::Response::GetTasks: nothing is ever pending or queued (tasks launch at once). */
export function getAgentTasks(agent: Agent): Json {
  const id = agentIdOf(agent);
  const { launched, terminated, completed } = partition(agent);
  return {
    pending_tasks: [],
    queued_tasks: [],
    launched_tasks: launched.map((t) => v1AgentTask(t, id)),
    terminated_tasks: terminated.map((t) => v1AgentTask(t, id)),
    completed_tasks: completed.map((t) => v1AgentTask(t, id)),
  };
}

/** The ExecutorInfo a task runs under: its executor's, or the command executor named after the task. */
export function executorInfoOf(t: TaskRecord): ExecutorInfoJson {
  if (t.executorId !== undefined) {
    const info = t.task.executor ?? { executor_id: { value: t.executorId } };
    return { ...info, framework_id: { value: t.fid } };
  }
  if (t.task.executor !== undefined) return { ...t.task.executor, framework_id: { value: t.fid } };
  const tid = t.task.task_id.value;
  return {
    executor_id: { value: tid },
    framework_id: { value: t.fid },
    name: `Command Executor (Task: ${tid}) (Command: sh -c '${(t.task.command?.value ?? '').slice(0, 64)}')`,
    source: tid,
    ...(t.task.command !== undefined ? { command: t.task.command } : {}),
    ...(t.task.resources !== undefined ? { resources: t.task.resources } : {}),
  };
}

/**
 * agent::Response::GetExecutors: executor runs as the agent tracks them; a command executor is live
 * while its task is non-terminal.
 */
export function getAgentExecutors(agent: Agent): Json {
  const live = new Map<string, ExecutorInfoJson>();
  const done = new Map<string, ExecutorInfoJson>();
  const key = (fid: string, eid: string): string => `${fid}\u0000${eid}`;
  for (const e of agent.executors.list()) {
    const target = e.phase === 'terminated' ? done : live;
    target.set(key(e.fid, e.info.executor_id.value), { ...e.info, framework_id: { value: e.fid } });
  }
  for (const e of agent.executors.completed) {
    const k = key(e.fid, e.info.executor_id.value);
    if (!live.has(k)) done.set(k, { ...e.info, framework_id: { value: e.fid } });
  }
  const { launched, terminated, completed } = partition(agent);
  const commandKey = (t: TaskRecord): string | undefined => (t.executorId === undefined ? key(t.fid, executorInfoOf(t).executor_id.value) : undefined);
  for (const t of launched) {
    const k = commandKey(t);
    if (k !== undefined) live.set(k, executorInfoOf(t));
  }
  for (const t of [...terminated, ...completed]) {
    const k = commandKey(t);
    if (k !== undefined && !live.has(k)) done.set(k, executorInfoOf(t));
  }
  return {
    executors: [...live.values()].map((executor_info) => ({ executor_info })),
    completed_executors: [...done.values()].map((executor_info) => ({ executor_info })),
  };
}

function frameworkEntry(fw: FrameworkRecord): Json {
  return { framework_info: { failover_timeout: 0, checkpoint: false, ...fw.info } };
}

/** agent::Response::GetFrameworks. */
export function getAgentFrameworks(agent: Agent): Json {
  return {
    frameworks: [...agent.frameworks.values()].map(frameworkEntry),
    completed_frameworks: agent.completedFrameworks.map(frameworkEntry),
  };
}

/** agent::Response::GetState. */
export function getAgentState(agent: Agent): Json {
  return { get_tasks: getAgentTasks(agent), get_executors: getAgentExecutors(agent), get_frameworks: getAgentFrameworks(agent) };
}

/** agent::Response::GetAgent: the AgentInfo this agent registers with. */
export function getAgentInfo(agent: Agent): Json {
  const total = agent.checkpointed.total(agent.config.resources);
  const info: Json = { hostname: agent.config.hostname, port: agentPort(agent), resources: total.toWire('post') };
  if (agent.config.attributes.length > 0) info['attributes'] = agent.config.attributes;
  if (agent.agentId !== undefined) info['id'] = { value: agent.agentId };
  return { agent_info: info };
}

/** agent::Response::GetFlags. */
export function getAgentFlags(flags: FlagValues): Json {
  return { flags: Object.entries(flagsForDisplay(AGENT_FLAGS, flags)).map(([name, value]) => ({ name, value })) };
}

/** agent::Response::GetVersion (same build facts as `/version`). */
export function getAgentVersion(): Json {
  return { version_info: { version: MESOS_VERSION, build_date: '2026-01-01 00:00:00', build_time: 1767225600, build_user: 'agora' } };
}

/** agent::Response::GetContainers: command task containers (with usage statistics) and executor runs. */
export async function getAgentContainers(agent: Agent): Promise<Json> {
  const stats = new Map((await monitorStatistics(agent)).map((s) => [String(s['executor_id']), s['statistics']]));
  const containers: Json[] = [];
  for (const t of agent.allTasks()) {
    if (isTerminalState(t.state) || t.supervisorPid === undefined || t.executorId !== undefined) continue;
    const exec = executorInfoOf(t);
    const entry: Json = {
      framework_id: { value: t.fid },
      executor_id: exec.executor_id,
      executor_name: exec.name ?? '',
      container_id: { value: t.containerId },
      container_status: { container_id: { value: t.containerId } },
    };
    const s = stats.get(t.task.task_id.value);
    if (s !== undefined) entry['resource_statistics'] = s;
    containers.push(entry);
  }
  for (const e of agent.executors.list()) {
    if (e.phase === 'terminated') continue;
    containers.push({
      framework_id: { value: e.fid },
      executor_id: e.info.executor_id,
      executor_name: e.info.name ?? '',
      container_id: { value: e.containerId },
      container_status: { container_id: { value: e.containerId } },
    });
  }
  return { containers };
}
