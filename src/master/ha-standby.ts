/**
 * The HTTP surface of a standby (non-leading) master under `--zk` (spec §1.6, ADR 0042). It serves itself
 * what upstream's non-leading masters serve: `/health`, `/flags`, `/version`, `/metrics/snapshot`
 * (`master/elected` 0), `/files/*` (nothing is attached, as on the leader), `/help`; `/redirect` and
 * `/master/redirect` go to the leader with no path (`/redirect/<anything>` is 404, upstream's loop guard).
 * Everything else (scheduler API, operator API, `/master/state`, `/state`, agent protocol, …) is answered
 * with 307 and a protocol-relative `Location` (`//leaderhost:port` + path and query); the body of a POST is
 * not replayed, clients re-send it. No leader known ⇒ 503 `No leader elected`; elected but still
 * recovering the registry ⇒ 503 (a redirect to ourselves would loop).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MasterInfoJson } from '../api/mesos/common.js';
import { masterHostPort, type ZkMasterDetector } from '../coordination/index.js';
import { flagsForDisplay, type FlagValues } from '../core/flags.js';
import { createHttpServer } from '../transport/http-server.js';
import { MASTER_FLAG_SPECS } from './flag-specs.js';
import { versionJson } from './http/state-json.js';

/** `Location` for a request to a standby: `//leaderhost:port` + the original path and query (spec §1.6). */
export function redirectLocation(leader: MasterInfoJson, url: string, keepPath = true): string {
  return `//${masterHostPort(leader)}${keepPath ? url : ''}`;
}

const HELP_HTML =
  '<html><head><title>Help</title></head><body><h1>Help</h1><p>This master is a standby (not the elected leader). ' +
  'It serves /health, /flags, /version, /metrics/snapshot, /files/* and /help itself; every other endpoint redirects ' +
  '(307) to the leading master, see /redirect.</p></body></html>';

type Query = Record<string, string | undefined>;

function json(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.code(200).type('application/json').send(JSON.stringify(body));
}

/** `/files/browse|read|download`: the master attaches no file (operator-v1-files.ts), so only the errors remain. */
function filesReply(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = ((req.query ?? {}) as Query)['path'];
  if (path === undefined || path === '') return reply.code(400).type('text/plain; charset=utf-8').send("Expecting 'path=value' in query.\n");
  return reply.code(404).send('');
}

/** Builds the standby app (not listening). `port` is the master's own port, shown by `/flags`. */
export function standbyApp(detector: ZkMasterDetector, flags: FlagValues, selfId: string, port: number): FastifyInstance {
  const app = createHttpServer(typeof flags['max_body_size'] === 'number' ? { bodyLimitBytes: flags['max_body_size'] } : {});
  const displayFlags = { ...flagsForDisplay(MASTER_FLAG_SPECS, flags), port: String(port) };
  for (const url of ['/health', '/master/health']) app.get(url, async (_req, reply) => reply.code(200).send(''));
  app.get('/version', async (_req, reply) => json(reply, versionJson()));
  for (const url of ['/flags', '/master/flags']) app.get(url, async (_req, reply) => json(reply, { flags: displayFlags }));
  app.get('/metrics/snapshot', async (_req, reply) => json(reply, { 'master/elected': 0 }));
  for (const url of ['/help', '/help/*']) app.get(url, async (_req, reply) => reply.code(200).type('text/html; charset=utf-8').send(HELP_HTML));
  app.get('/files/debug', async (_req, reply) => json(reply, {}));
  for (const url of ['/files/browse', '/files/read', '/files/download']) app.get(url, async (req, reply) => filesReply(req, reply));
  const toLeader = (keepPath: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    const leader = detector.leader;
    if (leader === undefined) return reply.code(503).type('text/plain; charset=utf-8').send('No leader elected');
    if (leader.id === selfId) return reply.code(503).type('text/plain; charset=utf-8').send('Leader is recovering');
    return reply.code(307).header('location', redirectLocation(leader, req.url, keepPath)).send('');
  };
  app.get('/redirect', toLeader(false));
  app.get('/master/redirect', toLeader(false));
  for (const url of ['/redirect/*', '/master/redirect/*']) app.all(url, async (_req, reply) => reply.code(404).send(''));
  app.setNotFoundHandler(toLeader(true));
  return app;
}
