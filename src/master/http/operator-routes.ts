/**
 * Operator and legacy endpoints (spec §5.1): state, frameworks, slaves, tasks, roles, redirect,
 * teardown, health, version, flags, metrics. GET endpoints honour `?jsonp=`. The v1 operator API
 * (`/api/v1`) lives in operator-v1.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { flagsForDisplay, type FlagValues } from '../../core/flags.js';
import { parseDuration } from '../../core/duration.js';
import { formFields } from '../../transport/http-server.js';
import type { Master } from '../master.js';
import { MASTER_FLAG_SPECS } from '../flag-specs.js';
import { METHODS_ALL, textReply } from './content.js';
import { metricsJson } from './metrics-json.js';
import { registerOperatorV1Routes } from './operator-v1.js';
import { allocatorMetrics, rolesJson } from './roles-json.js';
import {
  agentJson,
  frameworkJson,
  listedAgents,
  recoveredAgentJson,
  stateJson,
  stateSummaryJson,
  taskJson,
  versionJson,
} from './state-json.js';
import type { TaskRec } from '../types.js';

type Query = Record<string, string | undefined>;

function query(req: FastifyRequest): Query {
  return (req.query ?? {}) as Query;
}

/** JSON, or `fn(<json>);` as text/javascript when `?jsonp=fn` is given. */
function sendJson(req: FastifyRequest, reply: FastifyReply, body: unknown): FastifyReply {
  const jsonp = query(req)['jsonp'];
  const text = JSON.stringify(body);
  if (jsonp !== undefined && /^[A-Za-z_$][\w$.]*$/.test(jsonp)) return reply.code(200).type('text/javascript').send(`${jsonp}(${text});`);
  return reply.code(200).type('application/json').send(text);
}

function get(app: FastifyInstance, urls: readonly string[], fn: (req: FastifyRequest, reply: FastifyReply) => FastifyReply): void {
  for (const url of urls) app.get(url, (req, reply) => fn(req, reply));
}

function both(route: string): string[] {
  return [`/master/${route}`, `/${route}`];
}

/** Registers every operator/legacy endpoint under `/master/...` and `/...`. */
export function registerOperatorRoutes(app: FastifyInstance, m: Master, flags: FlagValues): void {
  const displayFlags = (): Record<string, string> => ({ ...flagsForDisplay(MASTER_FLAG_SPECS, flags), port: String(m.config.port) });

  get(app, [...both('state'), ...both('state.json')], (req, reply) => sendJson(req, reply, stateJson(m, displayFlags())));
  get(app, both('state-summary'), (req, reply) => sendJson(req, reply, stateSummaryJson(m)));
  get(app, both('frameworks'), (req, reply) => {
    const id = query(req)['framework_id'];
    const pick = <T extends { id: string }>(list: readonly T[]): T[] => list.filter((f) => id === undefined || f.id === id);
    return sendJson(req, reply, {
      frameworks: pick([...m.frameworks.values()]).map((f) => frameworkJson(m, f)),
      completed_frameworks: pick(m.completedFrameworks).map((f) => frameworkJson(m, f)),
      unregistered_frameworks: [],
    });
  });
  get(app, both('slaves'), (req, reply) => {
    const id = query(req)['slave_id'];
    const keep = (a: { id: string }): boolean => id === undefined || a.id === id;
    return sendJson(req, reply, {
      slaves: listedAgents(m).filter(keep).map((a) => agentJson(m, a, true)),
      recovered_slaves: [...m.agents.values()].filter((a) => a.state === 'recovered' && keep(a)).map(recoveredAgentJson),
    });
  });
  get(app, [...both('tasks'), ...both('tasks.json')], (req, reply) => sendJson(req, reply, { tasks: tasksList(m, query(req)) }));
  get(app, [...both('roles'), ...both('roles.json')], (req, reply) => sendJson(req, reply, rolesJson(m)));
  get(app, both('redirect'), (_req, reply) => reply.code(307).header('Location', `//${m.config.hostname}:${m.config.port}`).send());
  get(app, both('health'), (_req, reply) => reply.code(200).send());
  get(app, ['/version'], (req, reply) => sendJson(req, reply, versionJson()));
  get(app, [...both('flags')], (req, reply) => sendJson(req, reply, { flags: displayFlags() }));
  get(app, ['/metrics/snapshot'], (req, reply) => {
    const timeout = query(req)['timeout'];
    if (timeout !== undefined) {
      try {
        parseDuration(timeout);
      } catch {
        return textReply(reply, 400, `Invalid timeout '${timeout}'`);
      }
    }
    return sendJson(req, reply, { ...metricsJson(m), ...allocatorMetrics(m) });
  });
  for (const url of both('teardown')) {
    app.route({
      method: [...METHODS_ALL],
      url,
      handler: async (req, reply) => {
        if (req.method !== 'POST') return reply.header('Allow', 'POST').code(405).type('text/plain; charset=utf-8').send(`Expecting one of { 'POST' }, but received '${req.method}'`);
        const id = formFields(req.body).get('frameworkId');
        if (id === null || id === '') return textReply(reply, 400, "Missing 'frameworkId' query parameter in the request body");
        const r = await m.teardown(id);
        if (r === 'unknown') return textReply(reply, 400, 'No framework found with specified ID');
        if (r === 'not-persisted') return textReply(reply, 503, 'The framework was removed but the removal could not be persisted in the registry');
        return reply.code(200).send();
      },
    });
  }
  registerOperatorV1Routes(app, m, { displayFlags });
}

function tasksList(m: Master, q: Query): unknown[] {
  const limit = Number(q['limit'] ?? 100);
  const offset = Number(q['offset'] ?? 0);
  const asc = q['order'] === 'asc';
  const fws = [...m.frameworks.values(), ...m.completedFrameworks].filter((f) => q['framework_id'] === undefined || f.id === q['framework_id']);
  let tasks: TaskRec[] = fws.flatMap((f) => [...f.tasks.values(), ...f.unreachableTasks.values(), ...f.completedTasks]);
  if (q['task_id'] !== undefined) tasks = tasks.filter((t) => t.id === q['task_id']);
  tasks.sort((a, b) => (asc ? a.firstTimestamp - b.firstTimestamp : b.firstTimestamp - a.firstTimestamp));
  const start = Number.isFinite(offset) && offset > 0 ? offset : 0;
  const count = Number.isFinite(limit) && limit >= 0 ? limit : 100;
  return tasks.slice(start, start + count).map(taskJson);
}
