/**
 * Legacy JSON shapes of `/master/state`, `/master/frameworks`, `/master/slaves`, `/master/tasks`,
 * `/master/state-summary` and `/master/roles` (spec §5.2–§5.4), built from the Master's records.
 */
import type { AttributeJson } from '../../api/mesos/common.js';
import { Resources, fromWire, type WireResource } from '../../core/resources.js';
import { MESOS_VERSION } from '../../core/version.js';
import { asAgentId } from '../../core/ids.js';
import { isTerminalState } from '../../api/mesos/common.js';
import type { Master } from '../master.js';
import type { AgentRec, FrameworkRec, TaskRec } from '../types.js';
import { executorIdOf } from '../statuses.js';
import { agentMaintenanceFields } from '../maintenance.js';

type Json = Record<string, unknown>;

const BUILD_DATE = '2026-01-01 00:00:00';
const BUILD_TIME = 1767225600;

/** `/version` body (also the head of `/master/state`). */
export function versionJson(): Json {
  return { version: MESOS_VERSION, build_date: BUILD_DATE, build_time: BUILD_TIME, build_user: 'agora' };
}

/** Attribute map: scalars as numbers, ranges as "[a-b, c-d]", sets as "{a, b}", text as strings. */
export function attributesJson(attrs: readonly AttributeJson[] | undefined): Json {
  const out: Json = {};
  for (const a of attrs ?? []) {
    if (a.type === 'SCALAR') out[a.name] = a.scalar?.value ?? 0;
    else if (a.type === 'RANGES') out[a.name] = `[${(a.ranges?.range ?? []).map((r) => `${r.begin}-${r.end}`).join(', ')}]`;
    else if (a.type === 'SET') out[a.name] = `{${(a.set?.item ?? []).join(', ')}}`;
    else out[a.name] = a.text?.value ?? '';
  }
  return out;
}

/** Task object of §5.2 (statuses without task_id/uuid/message/reason). */
export function taskJson(t: TaskRec): Json {
  const out: Json = {
    id: t.id,
    name: t.info.name,
    framework_id: t.frameworkId,
    executor_id: t.info.executor?.executor_id.value ?? '',
    slave_id: t.agentId,
    state: t.state,
    resources: t.resources.summary(),
    role: t.role,
    statuses: t.statuses.map((s) => ({ ...s })),
  };
  const labels = t.info.labels?.labels;
  if (labels !== undefined && labels.length > 0) out['labels'] = labels;
  if (t.info.discovery !== undefined) out['discovery'] = t.info.discovery;
  if (t.info.container !== undefined) out['container'] = t.info.container;
  if (t.info.health_check !== undefined) out['health_check'] = t.info.health_check;
  if (t.info.command?.user !== undefined) out['user'] = t.info.command.user;
  return out;
}

function offeredOf(m: Master, fw: FrameworkRec): Resources {
  let r = Resources.EMPTY;
  for (const id of fw.offers) {
    const o = m.offers.get(id);
    if (o !== undefined) r = r.plus(o.resources);
  }
  return r;
}

function usedOf(m: Master, fw: FrameworkRec): Resources {
  let r = Resources.EMPTY;
  for (const t of fw.tasks.values()) if (!t.released) r = r.plus(t.resources);
  for (const e of m.executors.ofFramework(fw.id)) r = r.plus(e.resources);
  return r;
}

function executorsJson(fw: FrameworkRec): Json[] {
  const seen = new Map<string, Json>();
  for (const t of fw.tasks.values()) {
    const e = t.info.executor;
    if (e === undefined || isTerminalState(t.state)) continue;
    seen.set(`${t.agentId}/${executorIdOf(t)}`, {
      executor_id: e.executor_id.value,
      name: e.name ?? '',
      framework_id: fw.id,
      command: e.command ?? {},
      resources: fromWire((e.resources ?? []) as WireResource[]).summary(),
      slave_id: t.agentId,
      ...(e.type !== undefined ? { type: e.type } : {}),
    });
  }
  return [...seen.values()];
}

/** Framework object of §5.2; `summaryOnly` gives the `/master/state-summary` subset. */
export function frameworkJson(m: Master, fw: FrameworkRec, summaryOnly = false): Json {
  const used = usedOf(m, fw);
  const offered = offeredOf(m, fw);
  const multi = (fw.info.capabilities ?? []).some((c) => c.type === 'MULTI_ROLE');
  const out: Json = {
    id: fw.id,
    name: fw.info.name,
    used_resources: used.summary(),
    offered_resources: offered.summary(),
    capabilities: (fw.info.capabilities ?? []).flatMap((c) => (c.type === undefined ? [] : [c.type])),
    hostname: fw.info.hostname ?? '',
    webui_url: fw.info.webui_url ?? '',
    active: fw.active,
    connected: fw.connected,
    recovered: fw.recovered,
  };
  if (summaryOnly) return out;
  Object.assign(out, {
    user: fw.info.user,
    failover_timeout: fw.info.failover_timeout ?? 0,
    checkpoint: fw.info.checkpoint ?? false,
    registered_time: fw.registeredTime / 1000,
    unregistered_time: fw.unregisteredTime / 1000,
  });
  if (fw.info.principal !== undefined) out['principal'] = fw.info.principal;
  out['resources'] = used.plus(offered).summary();
  if (fw.reregisteredTime !== undefined && fw.reregisteredTime !== fw.registeredTime) out['reregistered_time'] = fw.reregisteredTime / 1000;
  if (multi) out['roles'] = fw.roles;
  else out['role'] = fw.roles[0] ?? '*';
  out['tasks'] = [...fw.tasks.values()].map(taskJson);
  out['unreachable_tasks'] = [...fw.unreachableTasks.values()].map(taskJson);
  out['completed_tasks'] = fw.completedTasks.map(taskJson);
  out['offers'] = [...fw.offers].flatMap((id) => {
    const o = m.offers.get(id);
    return o === undefined
      ? []
      : [{ id: o.id, framework_id: o.frameworkId, allocation_info: { role: o.role }, slave_id: o.agentId, resources: o.resources.summary() }];
  });
  out['executors'] = executorsJson(fw);
  const labels = fw.info.labels?.labels;
  if (labels !== undefined && labels.length > 0) out['labels'] = labels;
  out['offer_constraints'] = {};
  return out;
}

function agentUsed(m: Master, agentId: string): Resources {
  let r = Resources.EMPTY;
  for (const fw of m.frameworks.values()) for (const t of fw.tasks.values()) if (t.agentId === agentId && !t.released) r = r.plus(t.resources);
  return r.plus(m.executorResources(asAgentId(agentId)));
}

function agentOffered(m: Master, agentId: string): Resources {
  let r = Resources.EMPTY;
  for (const o of m.offers.values()) if (o.agentId === agentId) r = r.plus(o.resources);
  return r;
}

/** Agent object of §5.2; `full` adds the `*_full` Resource arrays of `/master/slaves`. */
export function agentJson(m: Master, a: AgentRec, full = false): Json {
  const used = agentUsed(m, a.id);
  const offered = agentOffered(m, a.id);
  const reserved: Json = {};
  const reservedFull: Json = {};
  for (const role of new Set(a.total.reserved().entries.map((e) => e.reservations[e.reservations.length - 1]?.role ?? '*'))) {
    reserved[role] = a.total.reserved(role).summary();
    reservedFull[role] = a.total.reserved(role).toWire('endpoint');
  }
  const out: Json = {
    id: a.id,
    hostname: a.info.hostname,
    port: a.port,
    attributes: attributesJson(a.info.attributes),
    pid: `slave(1)@${a.ip}:${a.port}`,
    registered_time: a.registeredTime / 1000,
    resources: a.total.summary(),
    used_resources: used.summary(),
    offered_resources: offered.summary(),
    reserved_resources: reserved,
    unreserved_resources: a.total.unreserved().summary(),
    active: a.state === 'registered',
    ...agentMaintenanceFields(m, a.id),
    version: a.version,
    capabilities: a.capabilities,
  };
  if (a.reregisteredTime !== undefined) out['reregistered_time'] = a.reregisteredTime / 1000;
  if (full) {
    out['reserved_resources_full'] = reservedFull;
    out['unreserved_resources_full'] = a.total.unreserved().toWire('endpoint');
    out['used_resources_full'] = used.toWire('endpoint');
    out['offered_resources_full'] = offered.toWire('endpoint');
  }
  return out;
}

/** Entry of `recovered_slaves`: an agent known from the registry that has not re-registered. */
export function recoveredAgentJson(a: AgentRec): Json {
  return { id: a.id, hostname: a.info.hostname, port: a.port, attributes: attributesJson(a.info.attributes) };
}

/** Agents listed under `slaves`: registered and disconnected ones. */
export function listedAgents(m: Master): AgentRec[] {
  return [...m.agents.values()].filter((a) => a.state === 'registered' || a.state === 'disconnected');
}

/** `/master/state` (spec §5.2). */
export function stateJson(m: Master, flags: Record<string, string>): Json {
  const agents = [...m.agents.values()];
  return {
    ...versionJson(),
    start_time: m.startTime / 1000,
    elected_time: m.startTime / 1000,
    id: m.masterId,
    pid: m.masterInfo.pid,
    hostname: m.config.hostname,
    capabilities: ['AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'],
    activated_slaves: agents.filter((a) => a.state === 'registered').length,
    deactivated_slaves: agents.filter((a) => a.state === 'disconnected').length,
    unreachable_slaves: agents.filter((a) => a.state === 'unreachable').length,
    leader: m.masterInfo.pid,
    leader_info: { id: m.masterId, pid: m.masterInfo.pid, port: m.config.port, hostname: m.config.hostname },
    flags,
    slaves: listedAgents(m).map((a) => agentJson(m, a)),
    recovered_slaves: agents.filter((a) => a.state === 'recovered').map(recoveredAgentJson),
    frameworks: [...m.frameworks.values()].map((f) => frameworkJson(m, f)),
    completed_frameworks: m.completedFrameworks.map((f) => frameworkJson(m, f)),
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}

const SUMMARY_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_KILLED',
  'TASK_FAILED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_UNREACHABLE',
] as const;

function allTasks(fw: FrameworkRec): TaskRec[] {
  return [...fw.tasks.values(), ...fw.unreachableTasks.values(), ...fw.completedTasks];
}

function countStates(tasks: readonly TaskRec[]): Json {
  const out: Json = {};
  for (const s of SUMMARY_STATES) out[s] = tasks.filter((t) => t.state === s).length;
  return out;
}

/** `/master/state-summary` (spec §5.3). */
export function stateSummaryJson(m: Master): Json {
  const fws = [...m.frameworks.values()];
  return {
    hostname: m.config.hostname,
    slaves: listedAgents(m).map((a) => {
      const tasks = fws.flatMap(allTasks).filter((t) => t.agentId === a.id);
      return { ...agentJson(m, a), ...countStates(tasks), framework_ids: [...new Set(tasks.map((t) => t.frameworkId))] };
    }),
    frameworks: fws.map((f) => {
      const tasks = allTasks(f);
      return { ...frameworkJson(m, f, true), ...countStates(tasks), slave_ids: [...new Set(tasks.map((t) => t.agentId))] };
    }),
  };
}
