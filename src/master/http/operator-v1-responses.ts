/**
 * master::Response bodies of the v1 operator API (spec §5.9), built from the Master's records in
 * protobuf-JSON form (§3.0): ids as `{value}`, times as TimeInfo `{nanoseconds}`, resources as v1
 * Resource arrays, defaults of FrameworkInfo emitted. Pure readers: nothing here changes master state.
 */
import type { FrameworkInfoJson } from '../../api/mesos/common.js';
import { isTerminalState } from '../../api/mesos/common.js';
import { Resources, fromWire, type WireResource } from '../../core/resources.js';
import type { Master } from '../master.js';
import { buildOffer } from '../offers.js';
import type { AgentRec, FrameworkRec, TaskRec } from '../types.js';
import { quotaStatusJson } from './quota-routes.js';
import { rolesJson } from './roles-json.js';
import { versionJson } from './state-json.js';
import { agentMaintenanceFields } from '../maintenance.js';

type Json = Record<string, unknown>;

/** TimeInfo from epoch milliseconds. */
export function timeInfo(ms: number): { nanoseconds: number } {
  return { nanoseconds: Math.round(ms * 1e6) };
}

function wire(r: Resources): WireResource[] {
  return r.toWire('post');
}

/** FrameworkInfo with the proto defaults upstream emits (failover_timeout, checkpoint). */
export function frameworkInfoJson(info: FrameworkInfoJson): Json {
  return { failover_timeout: 0, checkpoint: false, ...info };
}

/** mesos.v1.Task (spec §3.4): statuses collapsed, data stripped. */
export function v1Task(t: TaskRec): Json {
  const out: Json = {
    name: t.info.name,
    task_id: { value: t.id },
    framework_id: { value: t.frameworkId },
  };
  if (t.info.executor !== undefined) out['executor_id'] = t.info.executor.executor_id;
  out['agent_id'] = { value: t.agentId };
  out['state'] = t.state;
  const res = wire(t.resources);
  if (res.length > 0) out['resources'] = res;
  const statuses = t.statuses.map((s, i): Json => {
    const latest = t.latestStatus;
    if (i === t.statuses.length - 1 && latest !== undefined && latest.state === s.state) return { ...latest };
    const e: Json = { task_id: { value: t.id }, state: s.state, timestamp: s.timestamp, agent_id: { value: t.agentId } };
    if (s.healthy !== undefined) e['healthy'] = s.healthy;
    if (s.labels !== undefined) e['labels'] = { labels: s.labels };
    if (s.container_status !== undefined) e['container_status'] = s.container_status;
    return e;
  });
  if (statuses.length > 0) out['statuses'] = statuses;
  if (t.statusUpdateState !== undefined) out['status_update_state'] = t.statusUpdateState;
  if (t.statusUpdateUuid !== undefined) out['status_update_uuid'] = t.statusUpdateUuid;
  const i = t.info;
  if (i.labels?.labels !== undefined && i.labels.labels.length > 0) out['labels'] = i.labels;
  if (i.discovery !== undefined) out['discovery'] = i.discovery;
  if (i.container !== undefined) out['container'] = i.container;
  if (i.command?.user !== undefined) out['user'] = i.command.user;
  if (i.health_check !== undefined) out['health_check'] = i.health_check;
  if (i.kill_policy !== undefined) out['kill_policy'] = i.kill_policy;
  return out;
}

function agentScalars(m: Master, a: AgentRec): { allocated: Resources; offered: Resources } {
  let allocated = Resources.EMPTY;
  let offered = Resources.EMPTY;
  for (const fw of m.frameworks.values()) for (const t of fw.tasks.values()) if (t.agentId === a.id && !t.released) allocated = allocated.plus(t.resources);
  for (const o of m.offers.values()) if (o.agentId === a.id) offered = offered.plus(o.resources);
  return { allocated, offered };
}

/** master::Response::GetAgents::Agent. */
export function v1Agent(m: Master, a: AgentRec): Json {
  const { allocated, offered } = agentScalars(m, a);
  const out: Json = {
    agent_info: { port: 5051, ...a.info, id: { value: a.id } },
    active: a.state === 'registered',
    ...agentMaintenanceFields(m, a.id),
    version: a.version,
    pid: `slave(1)@${a.ip}:${a.port}`,
    registered_time: timeInfo(a.registeredTime),
  };
  if (a.reregisteredTime !== undefined) out['reregistered_time'] = timeInfo(a.reregisteredTime);
  const total = wire(a.total);
  if (total.length > 0) out['total_resources'] = total;
  const al = wire(allocated);
  if (al.length > 0) out['allocated_resources'] = al;
  const of = wire(offered);
  if (of.length > 0) out['offered_resources'] = of;
  if (a.capabilities.length > 0) out['capabilities'] = a.capabilities.map((type) => ({ type }));
  return out;
}

/** Agents listed as `agents` (registered or disconnected). */
function listed(m: Master): AgentRec[] {
  return [...m.agents.values()].filter((a) => a.state === 'registered' || a.state === 'disconnected');
}

/** master::Response::GetAgents. */
export function getAgents(m: Master): Json {
  const out: Json = {};
  const agents = listed(m).map((a) => v1Agent(m, a));
  if (agents.length > 0) out['agents'] = agents;
  const recovered = [...m.agents.values()].filter((a) => a.state === 'recovered').map((a) => ({ port: 5051, ...a.info, id: { value: a.id } }));
  if (recovered.length > 0) out['recovered_agents'] = recovered;
  return out;
}

/** master::Response::GetFrameworks::Framework; `withOffers` false for events (never include offers/resources). */
export function v1Framework(m: Master, fw: FrameworkRec, withOffers = true): Json {
  const out: Json = {
    framework_info: frameworkInfoJson(fw.info),
    active: fw.active,
    connected: fw.connected,
    recovered: fw.recovered,
    registered_time: timeInfo(fw.registeredTime),
  };
  if (fw.reregisteredTime !== undefined) out['reregistered_time'] = timeInfo(fw.reregisteredTime);
  if (!fw.connected) out['unregistered_time'] = timeInfo(fw.unregisteredTime);
  if (!withOffers) return out;
  const offers = [...fw.offers].flatMap((id) => {
    const o = m.offers.get(id);
    const agent = o === undefined ? undefined : m.agents.get(o.agentId);
    return o === undefined || agent === undefined ? [] : [{ offer: buildOffer(o, agent, fw, m.tasksOnAgent(agent.id, fw.id)), resources: o.resources }];
  });
  if (offers.length > 0) out['offers'] = offers.map((o) => o.offer);
  let allocated = Resources.EMPTY;
  for (const t of fw.tasks.values()) if (!t.released) allocated = allocated.plus(t.resources);
  const offered = offers.reduce((acc, o) => acc.plus(o.resources), Resources.EMPTY);
  const al = wire(allocated);
  if (al.length > 0) out['allocated_resources'] = al;
  const of = wire(offered);
  if (of.length > 0) out['offered_resources'] = of;
  return out;
}

/** master::Response::GetFrameworks. */
export function getFrameworks(m: Master): Json {
  const out: Json = {};
  const fws = [...m.frameworks.values()].map((f) => v1Framework(m, f));
  if (fws.length > 0) out['frameworks'] = fws;
  const done = m.completedFrameworks.map((f) => v1Framework(m, f));
  if (done.length > 0) out['completed_frameworks'] = done;
  return out;
}

/** master::Response::GetExecutors: explicit executors of live tasks, one per (agent, executor id). */
export function getExecutors(m: Master): Json {
  const seen = new Map<string, Json>();
  for (const fw of m.frameworks.values()) {
    for (const t of fw.tasks.values()) {
      const e = t.info.executor;
      if (e === undefined || isTerminalState(t.state)) continue;
      const resources = fromWire((e.resources ?? []) as WireResource[]);
      const info: Json = { ...e, framework_id: { value: fw.id } };
      if (!resources.isEmpty()) info['resources'] = wire(resources);
      seen.set(`${t.agentId}/${e.executor_id.value}`, { executor_info: info, agent_id: { value: t.agentId } });
    }
  }
  return seen.size > 0 ? { executors: [...seen.values()] } : {};
}

/** master::Response::GetTasks (pending and orphan lists are deprecated and always empty). */
export function getTasks(m: Master): Json {
  const all = [...m.frameworks.values(), ...m.completedFrameworks];
  const out: Json = {};
  const put = (key: string, list: TaskRec[]): void => {
    if (list.length > 0) out[key] = list.map(v1Task);
  };
  put('tasks', [...m.frameworks.values()].flatMap((f) => [...f.tasks.values()]));
  put('unreachable_tasks', all.flatMap((f) => [...f.unreachableTasks.values()]));
  put('completed_tasks', [
    ...all.flatMap((f) => f.completedTasks),
    ...m.completedFrameworks.flatMap((f) => [...f.tasks.values()]),
  ]);
  return out;
}

/** master::Response::GetState. */
export function getState(m: Master): Json {
  return { get_tasks: getTasks(m), get_executors: getExecutors(m), get_frameworks: getFrameworks(m), get_agents: getAgents(m) };
}

function scalarResources(map: Record<string, number>): Json[] {
  return Object.entries(map).map(([name, value]) => ({ name, type: 'SCALAR', scalar: { value } }));
}

function scalarMap(map: unknown): Json {
  const src = (map ?? {}) as Record<string, number>;
  return Object.fromEntries(Object.entries(src).map(([k, v]) => [k, { value: v }]));
}

/** master::Response::GetRoles: mesos.v1.Role from the same numbers as `/master/roles`. */
export function getRoles(m: Master): Json {
  const roles = (rolesJson(m)['roles'] as Json[]).map((r) => {
    const q = r['quota'] as Json;
    const out: Json = { name: r['name'], weight: r['weight'] };
    const fids = r['frameworks'] as string[];
    if (fids.length > 0) out['frameworks'] = fids.map((value) => ({ value }));
    const res = scalarResources(r['resources'] as Record<string, number>);
    if (res.length > 0) out['resources'] = res;
    out['quota'] = { role: r['name'], guarantees: scalarMap(q['guarantee']), limits: scalarMap(q['limit']), consumed: scalarMap(q['consumed']) };
    for (const k of ['allocated', 'offered', 'reserved']) {
      const list = scalarResources(r[k] as Record<string, number>);
      if (list.length > 0) out[k] = list;
    }
    return out;
  });
  return roles.length > 0 ? { roles } : {};
}

/** master::Response::GetMaster. */
export function getMaster(m: Master): Json {
  return { master_info: m.masterInfo, start_time: m.startTime / 1000, elected_time: m.startTime / 1000 };
}

/** master::Response::GetVersion. */
export function getVersion(): Json {
  return { version_info: versionJson() };
}

/** master::Response::GetWeights. */
export function getWeights(m: Master): Json {
  const list = m.roleSettings.weightList();
  return list.length > 0 ? { weight_infos: list.map((w) => ({ weight: w.weight, role: w.role })) } : {};
}

/** master::Response::GetQuota: QuotaStatus (legacy `infos` and 1.9+ `configs`), as `/quota`. */
export function getQuota(m: Master): Json {
  return { status: quotaStatusJson(m) };
}
