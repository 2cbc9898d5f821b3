/**
 * `POST /api/v1` and `/slave(1)/api/v1`: the v1 agent operator API (spec §5.10) with the HTTP checks of
 * §1.5 in upstream order, as the master's operator API does: 405 non-POST, 400/415 Content-Type, 400
 * parse, 400 validation (`Failed to validate agent::Call`), 406 when Accept excludes JSON, then 501 for
 * UNKNOWN and calls Agora does not serve. JSON only (protobuf is answered 415).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AgentOperatorCall, type AgentOperatorCallJson } from '../../api/mesos/agent-operator.js';
import { DecodeError, parseAndDecode } from '../../api/proto-json.js';
import { errorMessage } from '../../core/errors.js';
import type { FlagValues } from '../../core/flags.js';
import { LoggingLevel } from '../../core/logging-level.js';
import { bodyText } from '../../transport/http-server.js';
import { METHODS_ALL, acceptsJson, rejectContentType, rejectNonPost, textReply } from '../../transport/http-checks.js';
import type { Agent } from '../agent.js';
import { runAgentCall, validateAgentCall, type AgentOperatorContext } from './operator-v1-calls.js';

/** Both paths serve the agent operator API (spec §1.1). */
export const AGENT_OPERATOR_V1_PATHS = ['/api/v1', '/slave(1)/api/v1'] as const;

/**
 * Registers the agent's v1 operator API. The logging level lives as long as the app; its pending revert
 * is cancelled when the app closes (agent stop).
 */
export function registerAgentOperatorV1Routes(app: FastifyInstance, agent: Agent, flags: FlagValues, loggingLevel?: LoggingLevel): void {
  const ctx: AgentOperatorContext = { flags, loggingLevel: loggingLevel ?? new LoggingLevel(agent.deps().clock, agent.deps().logger) };
  app.addHook('onClose', async () => ctx.loggingLevel.stop());
  for (const url of AGENT_OPERATOR_V1_PATHS) {
    app.route({ method: [...METHODS_ALL], url, handler: (req, reply) => handle(agent, ctx, req, reply) });
  }
}

async function handle(agent: Agent, ctx: AgentOperatorContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (rejectNonPost(req, reply) || rejectContentType(req, reply)) return reply;
  let call: AgentOperatorCallJson;
  try {
    call = parseAndDecode(AgentOperatorCall, bodyText(req.body), 'Call');
  } catch (e: unknown) {
    if (e instanceof DecodeError) return textReply(reply, 400, e.message);
    throw e;
  }
  const invalid = validateAgentCall(call);
  if (invalid !== undefined) return textReply(reply, 400, `Failed to validate agent::Call: ${invalid}`);
  if (!acceptsJson(req)) return textReply(reply, 406, "Expecting 'Accept' to allow application/json or application/x-protobuf");
  try {
    const r = await runAgentCall(agent, call, ctx);
    if (r.kind === 'response') return reply.code(200).type('application/json').send(JSON.stringify(r.body));
    if (r.body === '') return reply.code(r.status).send();
    return textReply(reply, r.status, r.body);
  } catch (e: unknown) {
    agent.deps().logger.error({ call: call.type, err: errorMessage(e) }, 'agent operator call failed');
    return textReply(reply, 500, `Internal error: ${errorMessage(e)}`);
  }
}
