/**
 * The `/v2` HTTP API (Metronome's model, spec §8.1) beside the Chronos one: jobs, their schedule
 * sub-resource, runs and stop actions, `embed=` on reads, the launch queue. Errors are `{message}` with
 * Metronome's codes, validation errors 422 `{message:"Object is not valid", details:[{path, errors}]}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorMessage } from '../../core/errors.js';
import { bodyText } from '../../transport/http-server.js';
import { JobsError } from '../api/errors.js';
import type { JobEngine } from '../engine/job-engine.js';
import type { JobRecord } from '../state/records.js';
import { V2Service } from './service.js';
import { parseBody, parseJobSpec, parseScheduleSpec, V2Error } from './spec.js';
import { EMBEDS, jobJson, runJson, scheduleJson, type Embed } from './wire.js';

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const params = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>;

/** `embed` may repeat and may hold comma-separated values. */
function embeds(req: FastifyRequest): Set<Embed> {
  const raw = (req.query as Record<string, string | string[] | undefined>).embed;
  const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => v.split(','));
  return new Set(EMBEDS.filter((e) => values.includes(e)));
}

export function registerV2Routes(app: FastifyInstance, engine: JobEngine, defaultUser: string): void {
  const svc = new V2Service(engine, defaultUser);
  const on = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, h: Handler): void => void app.route({ method, url: `/v2${url}`, handler: wrap(h) });
  const show = (rec: JobRecord, embed: ReadonlySet<Embed>): Record<string, unknown> => jobJson(rec, embed, engine.runs(rec.job.name), (s) => svc.nextRun(rec, s));
  const id = (req: FastifyRequest): string => params(req).id ?? '';

  on('GET', '/jobs', async (req) => svc.list().map((rec) => show(rec, embeds(req))));
  on('POST', '/jobs', async (req, reply) => {
    const { job, schedules } = parseJobSpec(parseBody(bodyText(req.body)));
    const rec = await svc.create(job, schedules);
    return reply.code(201).send(show(rec, new Set(schedules !== undefined ? ['schedules'] : [])));
  });
  on('GET', '/jobs/:id', async (req) => show(svc.need(id(req)), embeds(req)));
  on('PUT', '/jobs/:id', async (req) => {
    svc.need(id(req));
    const { job, schedules } = parseJobSpec(parseBody(bodyText(req.body)), id(req));
    return show(await svc.replace(job, schedules), new Set());
  });
  on('DELETE', '/jobs/:id', async (req) => {
    const stop = (req.query as Record<string, string | undefined>).stopCurrentJobRuns === 'true';
    // The job is gone: its spec only.
    return jobJson(await svc.remove(id(req), stop), new Set(), [], () => undefined);
  });

  on('GET', '/jobs/:id/schedules', async (req) => {
    const rec = svc.need(id(req));
    return rec.v2.schedules.map((s) => scheduleJson(s, svc.nextRun(rec, s)));
  });
  on('POST', '/jobs/:id/schedules', async (req, reply) => {
    svc.need(id(req));
    const s = await svc.putSchedule(id(req), parseScheduleSpec(parseBody(bodyText(req.body))), 'create');
    return reply.code(201).send(scheduleJson(s, svc.nextRun(svc.need(id(req)), s)));
  });
  on('GET', '/jobs/:id/schedules/:sid', async (req) => {
    const rec = svc.need(id(req));
    const s = rec.v2.schedules.find((x) => x.id === params(req).sid);
    if (s === undefined) throw new V2Error(404, `Schedule '${params(req).sid ?? ''}' of job '${id(req)}' does not exist`);
    return scheduleJson(s, svc.nextRun(rec, s));
  });
  on('PUT', '/jobs/:id/schedules/:sid', async (req) => {
    svc.need(id(req));
    const s = await svc.putSchedule(id(req), parseScheduleSpec(parseBody(bodyText(req.body)), params(req).sid), 'replace');
    return scheduleJson(s, svc.nextRun(svc.need(id(req)), s));
  });
  on('DELETE', '/jobs/:id/schedules/:sid', async (req) => {
    await svc.deleteSchedule(id(req), params(req).sid ?? '');
    return {};
  });

  on('POST', '/jobs/:id/runs', async (req, reply) => reply.code(201).send(runJson(await svc.startRun(id(req)))));
  // Metronome lists active runs; `?all=true` adds the kept finished ones (newest first).
  on('GET', '/jobs/:id/runs', async (req) => {
    svc.need(id(req));
    const all = (req.query as Record<string, string | undefined>).all === 'true';
    return engine.runs(id(req)).filter((r) => all || r.finishedAt === undefined).map(runJson);
  });
  on('GET', '/jobs/:id/runs/:runId', async (req) => {
    svc.need(id(req));
    const run = engine.runs(id(req)).find((r) => r.id === params(req).runId);
    if (run === undefined) throw new V2Error(404, `Run '${params(req).runId ?? ''}' of job '${id(req)}' does not exist`);
    return runJson(run);
  });
  for (const m of ['GET', 'POST'] as const) on(m, '/jobs/:id/runs/:runId/actions/stop', async (req) => runJson(await svc.stopRun(id(req), params(req).runId ?? '')));
  on('GET', '/queue', async () =>
    svc.list().flatMap((rec) => {
      const waiting = engine.activeRuns(rec.job.name).filter((r) => r.status === 'QUEUED');
      return waiting.length === 0 ? [] : [{ jobId: rec.job.name, runs: waiting.map((r) => ({ runId: r.id })) }];
    }),
  );
}

function wrap(h: Handler): Handler {
  return async (req, reply) => {
    try {
      return await h(req, reply);
    } catch (e: unknown) {
      const err = e instanceof V2Error ? e : e instanceof JobsError && e.status !== 503 ? new V2Error(e.status, e.message) : new V2Error(500, errorMessage(e));
      return reply.code(err.status).type('application/json').send(err.body());
    }
  };
}
