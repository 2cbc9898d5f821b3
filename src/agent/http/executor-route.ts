/**
 * `POST /api/v1/executor` and `/slave(1)/api/v1/executor` (spec §4): decode the executor Call, find the
 * executor, then SUBSCRIBE hijacks the reply into a RecordIO event stream and every other call is
 * answered 202 (or 400/403/501 as upstream). Thin: the ExecutorManager owns every decision.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ExecutorCall, type ExecutorCallJson } from '../../api/mesos/executor.js';
import { DecodeError, parseAndDecode } from '../../api/proto-json.js';
import { bodyText } from '../../transport/http-server.js';
import type { Agent } from '../agent.js';

export const EXECUTOR_PATHS = ['/api/v1/executor', '/slave(1)/api/v1/executor'] as const;

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(body);
}

/** Registers the executor API on the agent's server. */
export function registerExecutorRoutes(app: FastifyInstance, agent: Agent): void {
  for (const url of EXECUTOR_PATHS) {
    app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], url, handler: (req, reply) => handle(agent, req, reply) });
  }
}

function handle(agent: Agent, req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (req.method !== 'POST') return text(reply.header('Allow', 'POST'), 405, `Expecting one of { 'POST' }, but received '${req.method}'`);
  const ct = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (ct === '') return text(reply, 400, "Expecting 'Content-Type' to be present");
  if (ct !== 'application/json') return text(reply, 415, `Expecting 'Content-Type' of application/json or application/x-protobuf`);
  let call: ExecutorCallJson;
  try {
    call = parseAndDecode(ExecutorCall, bodyText(req.body), 'Call');
  } catch (e: unknown) {
    if (e instanceof DecodeError) return text(reply, 400, `Failed to validate executor::Call: ${e.message}`);
    throw e;
  }
  if (agent.agentId === undefined) return text(reply, 503, 'Agent has not finished recovery');
  const found = agent.executors.lookup(call);
  if (!('fid' in found)) return text(reply, found.status, found.body);
  if (call.type === 'SUBSCRIBE') {
    if (call.subscribe === undefined) return text(reply, 400, "Expecting 'subscribe' to be present");
    reply.hijack();
    agent.executors.subscribe(found, call, reply.raw);
    return undefined;
  }
  const r = agent.executors.call(found, call);
  if (r.status === 202) return reply.code(202).send();
  return text(reply, r.status, r.body);
}
