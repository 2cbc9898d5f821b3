/**
 * The Chronos REST API (spec §1, §2) on Fastify, served under both `/scheduler` (v2) and `/v1/scheduler`
 * (v3). Bodies are read as JSON whatever the content type; errors are `{"status","message"}` with upstream's
 * codes (400 for unknown jobs too). Every response carries `Access-Control-Allow-Origin: *`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bodyText } from '../../transport/http-server.js';
import { errorMessage } from '../../core/errors.js';
import type { JobDefaults } from '../api/job-schema.js';
import { JobsError } from '../api/errors.js';
import { parseJobBody, type JobKind } from '../api/job-input.js';
import { graphCsv, graphDot, lastStatus } from '../api/graph.js';
import { jobStat, percentileStats } from '../api/stats.js';
import type { JobEngine } from '../engine/job-engine.js';
import { parseTaskId, type RunRecord } from '../state/records.js';

export const API_PREFIXES = ['/scheduler', '/v1/scheduler'] as const;

export interface RouteDeps {
  readonly engine: JobEngine;
  readonly defaults: JobDefaults;
  readonly now: () => number;
  /** `<hostname>:<port>` of this (leader) instance. */
  readonly leader: () => string;
  readonly historyLimit: number;
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const params = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>;
const query = (req: FastifyRequest): Record<string, string | undefined> => req.query as Record<string, string | undefined>;

export function registerJobsRoutes(app: FastifyInstance, d: RouteDeps): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('Access-Control-Allow-Origin', '*');
    return payload;
  });
  const on = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, h: Handler): void => {
    for (const p of API_PREFIXES) app.route({ method, url: `${p}${path}`, handler: wrap(h) });
  };
  const e = d.engine;

  // Only the list mirrors the deprecated `uris` and `fetch` into each other (spec §2.2 (1)).
  on('GET', '/jobs', async () =>
    e.listJobs().map((j) =>
      j.fetch.length === 0 ? { ...j, fetch: j.uris.map((uri) => ({ uri, executable: false, cache: false, extract: true })) } : { ...j, uris: j.fetch.map((f) => f.uri) },
    ),
  );
  on('GET', '/jobs/search', async (req) => {
    const q = query(req);
    const name = (q.name ?? '').toLowerCase();
    const command = (q.command ?? '').toLowerCase();
    const any = (q.any ?? '').toLowerCase();
    const limit = intParam(q.limit, 10);
    const offset = intParam(q.offset, 0);
    // The documented intent (spec §2.2 (2)): name and command filters, `any` = name OR command contains.
    const hits = e.listJobs().filter((j) => {
      const n = j.name.toLowerCase();
      const c = j.command.toLowerCase();
      return n.includes(name) && c.includes(command) && (any === '' || n.includes(any) || c.includes(any));
    });
    return hits.slice(offset, offset + limit);
  });
  on('GET', '/jobs/summary', async () => ({
    jobs: e.listJobs().map((j) => ({ name: j.name, status: lastStatus(j), state: e.jobState(j.name), schedule: j.schedule ?? '', parents: j.parents ?? [], disabled: j.disabled })),
  }));
  on('GET', '/job/:name', async (req) => e.getJob(params(req).name ?? ''));
  const put = (kind: JobKind): Handler => async (req, reply) => {
    const job = parseJobBody(bodyText(req.body), kind, d.defaults, d.now());
    await e.putJob(job);
    return reply.code(204).send();
  };
  for (const m of ['POST', 'PUT'] as const) {
    on(m, '/iso8601', put('scheduled'));
    on(m, '/dependency', put('dependent'));
  }
  on('DELETE', '/job/:name', async (req, reply) => {
    const cascade = query(req).cascade;
    if (cascade !== undefined && cascade !== 'reparent' && cascade !== 'convert') throw new JobsError(400, `cascade must be 'reparent' or 'convert', got '${cascade}'`);
    await e.deleteJob(params(req).name ?? '', cascade);
    return reply.code(204).send();
  });
  on('PUT', '/job/success/:name', async (req, reply) => {
    const name = params(req).name ?? '';
    const ok = await e.markSuccess(name);
    return reply.code(200).type('application/json').send(`marked job ${name} as successful: ${String(ok)}`);
  });
  on('PUT', '/job/:name', async (req, reply) => {
    await e.startManual(params(req).name ?? '', query(req).arguments);
    return reply.code(204).send();
  });
  on('GET', '/job/stat/:name', async (req) => {
    const name = params(req).name ?? '';
    return jobStat(name, e.runs(name), d.historyLimit);
  });
  on('GET', '/stats/:percentile', async (req) => {
    const byJob = new Map<string, RunRecord[]>(e.listJobs().map((j) => [j.name, e.runs(j.name)]));
    return percentileStats(params(req).percentile ?? '', byJob);
  });
  on('GET', '/graph/dot', async (_req, reply) => reply.type('text/plain').send(graphDot(e.jobsByName())));
  on('GET', '/graph/csv', async (_req, reply) => reply.type('text/plain').send(graphCsv(e.jobsByName(), (n) => e.jobState(n))));
  on('DELETE', '/task/kill/:name', async (req, reply) => {
    await e.killTasks(params(req).name ?? '');
    return reply.code(204).send();
  });
  on('PUT', '/task/:taskId', async (req, reply) => {
    const code = asyncStatusCode(bodyText(req.body));
    if (!(await e.completeAsync(params(req).taskId ?? '', code))) throw new JobsError(400, `Task '${params(req).taskId ?? ''}' is not running`);
    return reply.code(204).send();
  });
  // v2 only (spec §2.1 (17)): every run still waiting for an offer is purged (ends KILLED, recorded).
  on('DELETE', '/task/all', async (_req, reply) => {
    await e.purgeQueued();
    return reply.code(204).send();
  });
  // Spec §2.2 (10): validated as upstream; the count lives in Cassandra upstream, which we do not have, so a
  // valid report is accepted and not kept (upstream without Cassandra does the same).
  on('POST', '/job/:name/task/:taskId/progress', async (req, reply) => {
    const { name = '', taskId = '' } = params(req);
    const job = e.getJob(name);
    if (parseTaskId(taskId)?.job !== name) throw new JobsError(400, `Task id '${taskId}' is not a task id of job '${name}'`);
    if (!job.dataProcessingJobType) throw new JobsError(400, `Job '${name}' is not a dataProcessingJobType job`);
    progressCount(bodyText(req.body));
    return reply.code(204).send();
  });
  // Beyond Chronos: the persisted run history of a job (newest first).
  on('GET', '/job/:name/runs', async (req) => e.runs(params(req).name ?? ''));
  const leader = async (): Promise<object> => ({ leader: d.leader() });
  app.get('/leader', wrap(leader));
  on('GET', '/leader', leader);
  app.get('/ping', async (_req, reply) => reply.type('text/plain').send('pong'));
  app.get('/health', async (_req, reply) => reply.code(200).send());
}

function asyncStatusCode(text: string): number {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new JobsError(400, 'Expected {"statusCode": <int>}');
  }
  const code = typeof v === 'object' && v !== null ? Number((v as { statusCode?: unknown }).statusCode) : NaN;
  if (!Number.isInteger(code)) throw new JobsError(400, 'Expected {"statusCode": <int>}');
  return code;
}

function progressCount(text: string): number {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new JobsError(400, 'Expected {"numAdditionalElementsProcessed": <int >= 0>}');
  }
  const n = typeof v === 'object' && v !== null ? Number((v as { numAdditionalElementsProcessed?: unknown }).numAdditionalElementsProcessed) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new JobsError(400, 'numAdditionalElementsProcessed must be an integer >= 0');
  return n;
}

function intParam(v: string | undefined, dflt: number): number {
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : dflt;
}

function wrap(h: Handler): Handler {
  return async (req, reply) => {
    try {
      return await h(req, reply);
    } catch (e: unknown) {
      const err = e instanceof JobsError ? e : new JobsError(500, errorMessage(e));
      return reply.code(err.status).type('application/json').send(err.body());
    }
  };
}
