/**
 * `POST /agora/api/v1/agent`: our agent protocol (src/api/agora/agent-protocol.ts). SUBSCRIBE becomes
 * the agent's RecordIO stream; other calls answer 202, 400 text, or 403 JSON `{code, message}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AGENT_API_PATH, AGENT_STREAM_HEADER, AgentCall, type AgentCallJson } from '../../api/agora/agent-protocol.js';
import { DecodeError, parseAndDecode } from '../../api/proto-json.js';
import { bodyText } from '../../transport/http-server.js';
import type { Master } from '../master.js';
import { METHODS_ALL, header, rejectContentType, rejectNonPost, remoteIp, textReply } from './content.js';

/** Registers `/agora/api/v1/agent`. */
export function registerAgentRoutes(app: FastifyInstance, m: Master): void {
  app.route({ method: [...METHODS_ALL], url: AGENT_API_PATH, handler: (req, reply) => handle(m, req, reply) });
}

function handle(m: Master, req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (rejectNonPost(req, reply) || rejectContentType(req, reply)) return reply;
  let call: AgentCallJson;
  try {
    call = parseAndDecode(AgentCall, bodyText(req.body), 'AgentCall');
  } catch (e: unknown) {
    if (e instanceof DecodeError) return textReply(reply, 400, e.message);
    throw e;
  }
  const streamId = header(req, AGENT_STREAM_HEADER);
  if (call.type === 'SUBSCRIBE') {
    if (call.subscribe === undefined) return textReply(reply, 400, "Expecting 'subscribe' to be present");
    if (streamId !== undefined) return textReply(reply, 400, `Subscribe calls should not include the '${AGENT_STREAM_HEADER}' header`);
    reply.hijack();
    m.agentSubscribe(call, reply.raw, remoteIp(req));
    return undefined;
  }
  if (call.agent_id === undefined) return textReply(reply, 400, "Expecting 'agent_id' to be present");
  const r = m.agentCall(call, streamId);
  if (r.status === 403) return reply.code(403).type('application/json').send(r.body);
  if (r.status === 202) return reply.code(202).send();
  return textReply(reply, r.status, r.body);
}
