/** Shapes the agent's `/state` (spec §5.6) from the Agent actor's state. Pure. */
import { fromWire, type Resources, type WireResource } from '../../core/resources.js';
import { flagsForDisplay, type FlagValues } from '../../core/flags.js';
import { MESOS_VERSION } from '../../core/version.js';
import type { Agent } from '../agent.js';
import type { FrameworkRecord, TaskRecord } from '../task-record.js';
import type { ExecutorRecord } from '../executors/executor-record.js';
import { AGENT_FLAGS } from '../config.js';
import { AGENT_CAPABILITIES } from '../registration.js';

type Json = Record<string, unknown>;

function attributesObject(agent: Agent): Json {
  const out: Json = {};
  for (const a of agent.config.attributes) {
    if (a.type === 'SCALAR') out[a.name] = a.scalar?.value ?? 0;
    else if (a.type === 'RANGES') out[a.name] = `[${(a.ranges?.range ?? []).map((r) => `${r.begin}-${r.end}`).join(', ')}]`;
    else out[a.name] = a.text?.value ?? '';
  }
  return out;
}

function taskResources(t: TaskRecord): Resources {
  return fromWire((t.task.resources ?? []) as WireResource[]);
}

function roleOf(t: TaskRecord): string {
  const r = t.task.resources?.[0];
  return r?.allocation_info?.role ?? r?.role ?? '*';
}

/** The §5.2 task object as the agent shows it. */
export function taskJson(t: TaskRecord, agentId: string): Json {
  const labels = t.task.labels?.labels;
  return {
    id: t.task.task_id.value,
    name: t.task.name,
    framework_id: t.fid,
    executor_id: t.executorId ?? '',
    slave_id: agentId,
    state: t.state,
    resources: taskResources(t).summary(),
    role: roleOf(t),
    statuses: t.statuses.map((s) => ({
      state: s.state,
      timestamp: s.timestamp,
      ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
      container_status: { container_id: { value: t.containerId } },
    })),
    ...(labels !== undefined && labels.length > 0 ? { labels } : {}),
    ...(t.task.discovery !== undefined ? { discovery: t.task.discovery } : {}),
    ...(t.task.health_check !== undefined ? { health_check: t.task.health_check } : {}),
  };
}

function executorJson(t: TaskRecord, agentId: string, live: boolean): Json {
  const task = taskJson(t, agentId);
  return {
    id: t.task.task_id.value,
    name: `Command Executor (Task: ${t.task.task_id.value}) (Command: sh -c '${(t.task.command?.value ?? '').slice(0, 64)}')`,
    source: t.task.task_id.value,
    container: t.containerId,
    directory: t.sandbox,
    resources: taskResources(t).summary(),
    role: roleOf(t),
    type: 'COMMAND',
    tasks: live ? [task] : [],
    queued_tasks: [],
    completed_tasks: live ? [] : [task],
  };
}

/** An executor run (custom or default, src/agent/executors) with its tasks, as upstream's `/state` shows executors. */
function executorRunJson(e: ExecutorRecord, fw: FrameworkRecord, agentId: string): Json {
  const eid = e.info.executor_id.value;
  const mine = (t: TaskRecord): boolean => t.executorId === eid;
  const live = [...fw.tasks.values()].filter(mine);
  const resources = fromWire((e.info.resources ?? []) as WireResource[]);
  return {
    id: eid,
    name: e.info.name ?? '',
    source: e.info.source ?? '',
    container: e.containerId,
    directory: e.sandbox,
    resources: resources.summary(),
    role: e.info.resources?.[0]?.allocation_info?.role ?? '*',
    type: e.kind === 'default' ? 'DEFAULT' : 'CUSTOM',
    tasks: live.filter((t) => t.state !== 'TASK_STAGING' || e.kind === 'default').map((t) => taskJson(t, agentId)),
    queued_tasks: e.kind === 'custom' ? live.filter((t) => t.state === 'TASK_STAGING').map((t) => taskJson(t, agentId)) : [],
    completed_tasks: fw.completed.filter(mine).map((t) => taskJson(t, agentId)),
  };
}

function frameworkJson(fw: FrameworkRecord, agentId: string, runs: readonly ExecutorRecord[] = [], ended: readonly ExecutorRecord[] = []): Json {
  const i = fw.info;
  const fid = i.id?.value ?? '';
  return {
    id: i.id?.value ?? '',
    name: i.name,
    user: i.user,
    failover_timeout: i.failover_timeout ?? 0,
    checkpoint: i.checkpoint ?? false,
    hostname: i.hostname ?? '',
    ...(i.principal !== undefined ? { principal: i.principal } : {}),
    ...(i.roles !== undefined ? { roles: i.roles } : { role: i.role ?? '*' }),
    executors: [
      ...[...fw.tasks.values()].filter((t) => t.executorId === undefined).map((t) => executorJson(t, agentId, true)),
      ...runs.filter((e) => e.fid === fid).map((e) => executorRunJson(e, fw, agentId)),
    ],
    completed_executors: [
      ...fw.completed.filter((t) => t.executorId === undefined).map((t) => executorJson(t, agentId, false)),
      ...ended.filter((e) => e.fid === fid).map((e) => executorRunJson(e, fw, agentId)),
    ],
  };
}

/** `/slave(1)/state`. */
export function agentStateJson(agent: Agent, flags: FlagValues): Json {
  const total = agent.checkpointed.total(agent.config.resources);
  const agentId = agent.agentId ?? '';
  const reserved: Json = {};
  const reservedFull: Json = {};
  for (const e of total.entries) {
    const role = e.reservations[e.reservations.length - 1]?.role;
    if (role === undefined || role === '*') continue;
    const mine = total.reserved(role);
    reserved[role] = mine.summary();
    reservedFull[role] = mine.toWire('endpoint', false);
  }
  const used = agent.usedResources();
  const master = agent.masterInfo as { hostname?: string } | undefined;
  return {
    version: MESOS_VERSION,
    build_date: '2026-01-01 00:00:00',
    build_time: 1767225600,
    build_user: 'agora',
    start_time: agent.startTimeMs / 1000,
    id: agentId,
    pid: agent.pid,
    hostname: agent.config.hostname,
    capabilities: AGENT_CAPABILITIES,
    resources: total.summary(),
    reserved_resources: reserved,
    unreserved_resources: total.unreserved().summary(),
    reserved_resources_full: reservedFull,
    unreserved_resources_full: total.unreserved().toWire('endpoint', false),
    reserved_resources_allocated: {},
    unreserved_resources_allocated: used.summary(),
    resource_providers: [],
    attributes: attributesObject(agent),
    ...(master?.hostname !== undefined ? { master_hostname: master.hostname } : {}),
    flags: flagsForDisplay(AGENT_FLAGS, flags),
    frameworks: [...agent.frameworks.values()].map((fw) => frameworkJson(fw, agentId, [...agent.executors.list()], agent.executors.completed)),
    completed_frameworks: agent.completedFrameworks.map((fw) => frameworkJson(fw, agentId)),
  };
}
