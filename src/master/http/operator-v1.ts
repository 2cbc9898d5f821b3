/**
 * `POST /api/v1` and `/master/api/v1`: the v1 master operator API (spec §5.9) with the HTTP checks of
 * §1.5 in upstream order: 405 non-POST, 400/415 Content-Type, 400 parse (`Failed to parse body into
 * JSON` / `Failed to convert JSON into Call protobuf`), 400 validation (`Failed to validate
 * master::Call`), 406 when Accept excludes JSON (checked for every call), then 501 for UNKNOWN and calls
 * Agora does not serve yet. SUBSCRIBE hijacks the reply and becomes the operator event stream.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MasterCall, type MasterCallJson } from '../../api/mesos/operator.js';
import { DecodeError, parseAndDecode } from '../../api/proto-json.js';
import { errorMessage } from '../../core/errors.js';
import { bodyText } from '../../transport/http-server.js';
import { LoggingLevel } from '../../core/logging-level.js';
import type { Master } from '../master.js';
import { METHODS_ALL, acceptsJson, rejectContentType, rejectNonPost, textReply } from './content.js';
import { runCall, validateMasterCall, type OperatorContext } from './operator-v1-calls.js';

/** Both paths serve the operator API (spec §1.1). */
export const OPERATOR_V1_PATHS = ['/api/v1', '/master/api/v1'] as const;

/** Registers the v1 operator API routes. */
export function registerOperatorV1Routes(app: FastifyInstance, m: Master, baseCtx: OperatorContext): void {
  const loggingLevel = baseCtx.loggingLevel ?? new LoggingLevel(m.clock, m.log);
  const ctx: OperatorContext = { ...baseCtx, loggingLevel };
  app.addHook('onClose', async () => loggingLevel.stop());
  for (const url of OPERATOR_V1_PATHS) {
    app.route({ method: [...METHODS_ALL], url, handler: (req, reply) => handle(m, ctx, req, reply) });
  }
}

async function handle(m: Master, ctx: OperatorContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (rejectNonPost(req, reply) || rejectContentType(req, reply)) return reply;
  let call: MasterCallJson;
  try {
    call = parseAndDecode(MasterCall, bodyText(req.body), 'Call');
  } catch (e: unknown) {
    if (e instanceof DecodeError) return textReply(reply, 400, e.message);
    throw e;
  }
  const invalid = validateMasterCall(call);
  if (invalid !== undefined) return textReply(reply, 400, `Failed to validate master::Call: ${invalid}`);
  if (!acceptsJson(req)) return textReply(reply, 406, "Expecting 'Accept' to allow application/json or application/x-protobuf");
  if (call.type === 'SUBSCRIBE') {
    reply.hijack();
    m.operatorEvents.subscribe(reply.raw);
    return undefined;
  }
  try {
    const r = await runCall(m, call, ctx);
    if (r.kind === 'response') return reply.code(200).type('application/json').send(JSON.stringify(r.body));
    if (r.body === '') return reply.code(r.status).send();
    return textReply(reply, r.status, r.body);
  } catch (e: unknown) {
    m.log.error({ call: call.type, err: errorMessage(e) }, 'operator call failed');
    return textReply(reply, 500, `Internal error: ${errorMessage(e)}`);
  }
}
