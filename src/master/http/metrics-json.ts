/** `/metrics/snapshot` for the master (spec §5.8): counters from the actor plus gauges computed from state. */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { isTerminalState, type TaskStateName } from '../../api/mesos/common.js';
import { fromMilli, type Resources } from '../../core/resources.js';
import type { Master } from '../master.js';
import type { FrameworkRec } from '../types.js';
import { ZERO_COUNTERS } from '../metrics.js';

/** The flat `/metrics/snapshot` object. */
export function metricsJson(m: Master): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ZERO_COUNTERS) out[k] = 0;
  for (const [k, v] of m.counters.entries()) out[k] = v;
  // One pass over agents and tasks, summing scalars by name (no Resources bags): the bench and operators
  // poll this endpoint often, and bag additions over 100k tasks took tens of ms per call (ADR 0041).
  const agentCounts = { registered: 0, disconnected: 0, unreachable: 0 };
  const total = new ScalarSums();
  for (const a of m.agents.values()) {
    if (a.state === 'registered' || a.state === 'disconnected' || a.state === 'unreachable') agentCounts[a.state]++;
    if (a.state === 'registered' || a.state === 'disconnected') total.add(a.total);
  }
  const fws = [...m.frameworks.values()];
  out['master/elected'] = 1;
  out['master/uptime_secs'] = (m.clock.now() - m.startTime) / 1000;
  out['master/slaves_active'] = agentCounts.registered;
  out['master/slaves_connected'] = agentCounts.registered;
  out['master/slaves_disconnected'] = agentCounts.disconnected;
  out['master/slaves_inactive'] = agentCounts.disconnected;
  out['master/slaves_unreachable'] = agentCounts.unreachable;
  out['master/frameworks_active'] = fws.filter((f) => f.active).length;
  out['master/frameworks_inactive'] = fws.filter((f) => !f.active).length;
  out['master/frameworks_connected'] = fws.filter((f) => f.connected).length;
  out['master/frameworks_disconnected'] = fws.filter((f) => !f.connected).length;
  out['master/outstanding_offers'] = m.offers.size;
  const byState = new Map<string, number>();
  // Task counts by state per framework, from the same pass (keys are built per state, not per task).
  const fwStates = new Map<FrameworkRec, Map<TaskStateName, number>>();
  const used = new ScalarSums();
  let unreachableTasks = 0;
  for (const f of fws) {
    const states = new Map<TaskStateName, number>();
    for (const t of f.tasks.values()) {
      states.set(t.state, (states.get(t.state) ?? 0) + 1);
      if (!t.released && !isTerminalState(t.state)) used.add(t.resources);
    }
    for (const [state, n] of states) byState.set(state, (byState.get(state) ?? 0) + n);
    fwStates.set(f, states);
    for (const t of f.unreachableTasks.values()) if (t.state === 'TASK_UNREACHABLE') unreachableTasks++;
  }
  for (const s of ['STAGING', 'STARTING', 'RUNNING', 'KILLING']) out[`master/tasks_${s.toLowerCase()}`] = byState.get(`TASK_${s}`) ?? 0;
  out['master/tasks_unreachable'] = unreachableTasks;
  for (const r of ['cpus', 'gpus', 'mem', 'disk']) {
    const tot = total.get(r, false);
    const u = used.get(r, false);
    out[`master/${r}_total`] = tot;
    out[`master/${r}_used`] = u;
    out[`master/${r}_percent`] = tot > 0 ? u / tot : 0;
    const rt = total.get(r, true);
    const ru = used.get(r, true);
    out[`master/${r}_revocable_total`] = rt;
    out[`master/${r}_revocable_used`] = ru;
    out[`master/${r}_revocable_percent`] = rt > 0 ? ru / rt : 0;
  }
  out['master/event_queue_messages'] = 0;
  out['master/event_queue_dispatches'] = 0;
  out['master/event_queue_http_requests'] = 0;
  out['master/operator_event_stream_subscribers'] = m.operatorEvents.subscriberCount;
  for (const [role, share] of m.allocator.roleShares()) out[`allocator/mesos/roles/${role}/shares/dominant`] = share;
  for (const [role, n] of m.allocator.activeFilters()) out[`allocator/mesos/offer_filters/roles/${role}/active`] = n;
  for (const fw of fws) {
    const prefix = `master/frameworks/${encodeURIComponent(fw.info.name)}/${fw.id}`;
    out[`${prefix}/subscribed`] = fw.connected ? 1 : 0;
    out[`${prefix}/calls`] = 0;
    out[`${prefix}/events`] = 0;
    for (const k of ['sent', 'accepted', 'declined', 'rescinded']) out[`${prefix}/offers/${k}`] = 0;
    for (const [k, v] of fw.metrics) out[`${prefix}/${k}`] = v;
    for (const [state, n] of fwStates.get(fw) ?? []) {
      const key = `${prefix}/tasks/${isTerminalState(state) ? 'terminal' : 'active'}/${state.toLowerCase()}`;
      out[key] = (out[key] ?? 0) + n;
    }
    for (const r of fw.roles) out[`${prefix}/roles/${r}/suppressed`] = fw.suppressed.has(r) ? 1 : 0;
  }
  out['registrar/log/recovered'] = 1;
  const load = loadavg();
  out['system/cpus_total'] = cpus().length;
  out['system/load_1min'] = load[0] ?? 0;
  out['system/load_5min'] = load[1] ?? 0;
  out['system/load_15min'] = load[2] ?? 0;
  out['system/mem_total_bytes'] = totalmem();
  out['system/mem_free_bytes'] = freemem();
  return out;
}

/** Per-name sums of scalar resources (thousandths, as Resources.scalar), split by revocability. */
class ScalarSums {
  private readonly plain = new Map<string, number>();
  private readonly revocable = new Map<string, number>();
  add(r: Resources): void {
    for (const e of r.entries) {
      if (e.kind !== 'SCALAR') continue;
      const sums = e.revocable === true ? this.revocable : this.plain;
      sums.set(e.name, (sums.get(e.name) ?? 0) + (e.milli ?? 0));
    }
  }
  get(name: string, revocable: boolean): number {
    return fromMilli((revocable ? this.revocable : this.plain).get(name) ?? 0);
  }
}
