/**
 * The maintenance and drain calls of the v1 operator API (spec §5.9): GET_MAINTENANCE_STATUS,
 * GET_MAINTENANCE_SCHEDULE, UPDATE_MAINTENANCE_SCHEDULE, START_MAINTENANCE (= `/machine/down`),
 * STOP_MAINTENANCE (= `/machine/up`), DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT. Mutations answer an
 * empty 200 once durable, or 400 with the same messages as the HTTP endpoints.
 */
import type { MasterCallJson } from '../../api/mesos/operator.js';
import type { Master } from '../master.js';
import { maintenanceOf } from '../maintenance.js';
import { deactivateAgent, drainAgent, reactivateAgent } from '../maintenance-drain.js';
import { machinesDown, machinesUp, updateSchedule } from '../maintenance-schedule.js';
import { scheduleJson, statusJson } from './maintenance-routes.js';

/** A Response sub-message (`field`) or a status with a text body. */
export type MaintenanceReply = { readonly kind: 'response'; readonly field: string; readonly body: Record<string, unknown> } | { readonly kind: 'status'; readonly status: number; readonly body: string };

function status(s: { status: number; body: string }): MaintenanceReply {
  return { kind: 'status', status: s.status, body: s.body };
}

/** google.protobuf.Duration `{seconds, nanos}` in nanoseconds. */
function durationNs(d: { seconds?: number; nanos?: number } | undefined): number | undefined {
  if (d === undefined) return undefined;
  return (d.seconds ?? 0) * 1e9 + (d.nanos ?? 0);
}

/** Runs one of the calls listed in the module comment (required sub-messages were checked by the caller). */
export async function runMaintenanceCall(m: Master, call: MasterCallJson): Promise<MaintenanceReply> {
  switch (call.type) {
    case 'GET_MAINTENANCE_STATUS':
      return { kind: 'response', field: 'get_maintenance_status', body: { status: statusJson(m) } };
    case 'GET_MAINTENANCE_SCHEDULE':
      return { kind: 'response', field: 'get_maintenance_schedule', body: { schedule: scheduleJson(maintenanceOf(m).schedule) } };
    case 'UPDATE_MAINTENANCE_SCHEDULE':
      return status(await updateSchedule(m, call.update_maintenance_schedule?.schedule ?? {}));
    case 'START_MAINTENANCE':
      return status(await machinesDown(m, call.start_maintenance?.machines ?? []));
    case 'STOP_MAINTENANCE':
      return status(await machinesUp(m, call.stop_maintenance?.machines ?? []));
    case 'DRAIN_AGENT': {
      const d = call.drain_agent;
      return status(await drainAgent(m, d?.agent_id.value ?? '', durationNs(d?.max_grace_period), d?.mark_gone ?? false));
    }
    case 'DEACTIVATE_AGENT':
      return status(await deactivateAgent(m, call.deactivate_agent?.agent_id.value ?? ''));
    case 'REACTIVATE_AGENT':
      return status(await reactivateAgent(m, call.reactivate_agent?.agent_id.value ?? ''));
    default:
      return { kind: 'status', status: 500, body: `${call.type ?? 'UNKNOWN'} is not a maintenance call` };
  }
}
