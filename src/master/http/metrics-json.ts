/** `/metrics/snapshot` for the master (spec §5.8): counters from the actor plus gauges computed from state. */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { isTerminalState } from '../../api/mesos/common.js';
import { Resources } from '../../core/resources.js';
import type { Master } from '../master.js';
import { ZERO_COUNTERS } from '../metrics.js';

/** The flat `/metrics/snapshot` object. */
export function metricsJson(m: Master): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ZERO_COUNTERS) out[k] = 0;
  for (const [k, v] of m.counters.entries()) out[k] = v;
  const agents = [...m.agents.values()];
  const fws = [...m.frameworks.values()];
  out['master/elected'] = 1;
  out['master/uptime_secs'] = (m.clock.now() - m.startTime) / 1000;
  out['master/slaves_active'] = agents.filter((a) => a.state === 'registered').length;
  out['master/slaves_connected'] = agents.filter((a) => a.state === 'registered').length;
  out['master/slaves_disconnected'] = agents.filter((a) => a.state === 'disconnected').length;
  out['master/slaves_inactive'] = agents.filter((a) => a.state === 'disconnected').length;
  out['master/slaves_unreachable'] = agents.filter((a) => a.state === 'unreachable').length;
  out['master/frameworks_active'] = fws.filter((f) => f.active).length;
  out['master/frameworks_inactive'] = fws.filter((f) => !f.active).length;
  out['master/frameworks_connected'] = fws.filter((f) => f.connected).length;
  out['master/frameworks_disconnected'] = fws.filter((f) => !f.connected).length;
  out['master/outstanding_offers'] = m.offers.size;
  const live = fws.flatMap((f) => [...f.tasks.values()]);
  for (const s of ['STAGING', 'STARTING', 'RUNNING', 'KILLING']) out[`master/tasks_${s.toLowerCase()}`] = live.filter((t) => t.state === `TASK_${s}`).length;
  out['master/tasks_unreachable'] = fws.reduce((n, f) => n + [...f.unreachableTasks.values()].filter((t) => t.state === 'TASK_UNREACHABLE').length, 0);
  let total = Resources.EMPTY;
  for (const a of agents) if (a.state === 'registered' || a.state === 'disconnected') total = total.plus(a.total);
  let used = Resources.EMPTY;
  for (const t of live) if (!t.released && !isTerminalState(t.state)) used = used.plus(t.resources);
  for (const r of ['cpus', 'gpus', 'mem', 'disk']) {
    const tot = total.filter((e) => !e.revocable).scalar(r);
    const u = used.filter((e) => !e.revocable).scalar(r);
    out[`master/${r}_total`] = tot;
    out[`master/${r}_used`] = u;
    out[`master/${r}_percent`] = tot > 0 ? u / tot : 0;
    const rt = total.filter((e) => !!e.revocable).scalar(r);
    const ru = used.filter((e) => !!e.revocable).scalar(r);
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
    for (const t of fw.tasks.values()) {
      const key = `${prefix}/tasks/${isTerminalState(t.state) ? 'terminal' : 'active'}/${t.state.toLowerCase()}`;
      out[key] = (out[key] ?? 0) + 1;
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
