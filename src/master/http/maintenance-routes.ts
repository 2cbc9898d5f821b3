/**
 * Maintenance endpoints (spec §5.1, §5.5), under `/master/...` and `/...`:
 * `/maintenance/schedule` (GET the Schedule JSON; POST a new one: 200, or 400 with upstream's message),
 * `/maintenance/status` (GET ClusterStatus JSON), `/machine/down` and `/machine/up` (POST a JSON array of
 * MachineID: 200, or 400). As upstream's protobuf-to-JSON, empty repeated fields are left out (`{}` for an
 * empty schedule). Actor logic lives in maintenance-schedule.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MachineID, MaintenanceSchedule } from '../../api/mesos/operator.js';
import { DecodeError, decode, parseAndDecode } from '../../api/proto-json.js';
import { bodyText } from '../../transport/http-server.js';
import type { Master } from '../master.js';
import type { MachineIdJson, ScheduleJson } from '../maintenance.js';
import { clusterStatusJson, maintenanceOf } from '../maintenance.js';
import { machinesDown, machinesUp, updateSchedule } from '../maintenance-schedule.js';
import { METHODS_ALL, textReply } from './content.js';

/** Schedule JSON as upstream prints it (no empty `windows`). */
export function scheduleJson(schedule: ScheduleJson): Record<string, unknown> {
  return schedule.windows.length === 0 ? {} : { windows: schedule.windows };
}

/** ClusterStatus JSON as upstream prints it (no empty lists). */
export function statusJson(m: Master): Record<string, unknown> {
  const st = clusterStatusJson(m);
  const draining = st.draining_machines.map((x) => {
    const d = x as { id: unknown; statuses: unknown[] };
    return d.statuses.length === 0 ? { id: d.id } : d;
  });
  return { ...(draining.length > 0 ? { draining_machines: draining } : {}), ...(st.down_machines.length > 0 ? { down_machines: st.down_machines } : {}) };
}

function methods(req: FastifyRequest, reply: FastifyReply, allowed: readonly string[]): boolean {
  if (allowed.includes(req.method)) return false;
  void reply.header('Allow', allowed.join(', '));
  void textReply(reply, 405, `Expecting one of { ${allowed.map((x) => `'${x}'`).join(', ')} }, but received '${req.method}'`);
  return true;
}

/** A JSON array of MachineID from a request body, or the 400 message. */
export function parseMachineIds(text: string): MachineIdJson[] | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e: unknown) {
    return `Failed to parse body into JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (!Array.isArray(json)) return 'Expecting a JSON array of machine ids';
  try {
    return json.map((x) => decode(MachineID, x));
  } catch (e: unknown) {
    return e instanceof Error ? `Failed to convert JSON into machine ids: ${e.message}` : String(e);
  }
}

function route(app: FastifyInstance, path: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply): void {
  for (const url of [`/master/${path}`, `/${path}`]) app.route({ method: [...METHODS_ALL], url, handler });
}

/** Registers the four endpoints. */
export function registerMaintenanceRoutes(app: FastifyInstance, m: Master): void {
  route(app, 'maintenance/schedule', async (req, reply) => {
    if (methods(req, reply, ['GET', 'POST'])) return reply;
    if (req.method === 'GET') return reply.code(200).type('application/json').send(JSON.stringify(scheduleJson(maintenanceOf(m).schedule)));
    let schedule;
    try {
      schedule = parseAndDecode(MaintenanceSchedule, bodyText(req.body), 'Schedule');
    } catch (e: unknown) {
      if (e instanceof DecodeError) return textReply(reply, 400, e.message);
      throw e;
    }
    const out = await updateSchedule(m, schedule);
    return textReply(reply, out.status, out.body);
  });
  route(app, 'maintenance/status', (req, reply) => {
    if (methods(req, reply, ['GET'])) return reply;
    return reply.code(200).type('application/json').send(JSON.stringify(statusJson(m)));
  });
  for (const [path, fn] of [
    ['machine/down', machinesDown],
    ['machine/up', machinesUp],
  ] as const) {
    route(app, path, async (req, reply) => {
      if (methods(req, reply, ['POST'])) return reply;
      const ids = parseMachineIds(bodyText(req.body));
      if (typeof ids === 'string') return textReply(reply, 400, ids);
      const out = await fn(m, ids);
      return textReply(reply, out.status, out.body);
    });
  }
}
