/**
 * `POST /api/v1/scheduler` and `/master/api/v1/scheduler`: the checks of spec §1.5 in upstream order,
 * then one call on the Master. SUBSCRIBE hijacks the reply and becomes a RecordIO stream.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SchedulerCall, type SchedulerCallJson } from '../../api/mesos/scheduler.js';
import { DecodeError, parseAndDecode } from '../../api/proto-json.js';
import { asFrameworkId } from '../../core/ids.js';
import { errorMessage } from '../../core/errors.js';
import { bodyText } from '../../transport/http-server.js';
import type { Master } from '../master.js';
import { validateCall } from './call-validation.js';
import { METHODS_ALL, acceptsJson, header, rejectContentType, rejectNonPost, textReply } from './content.js';

/** Both paths serve the scheduler API (spec §1.1). */
export const SCHEDULER_PATHS = ['/api/v1/scheduler', '/master/api/v1/scheduler'] as const;

/** Registers the scheduler API routes. */
export function registerSchedulerRoutes(app: FastifyInstance, m: Master): void {
  for (const url of SCHEDULER_PATHS) {
    app.route({ method: [...METHODS_ALL], url, handler: (req, reply) => handle(m, req, reply) });
  }
}

async function handle(m: Master, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (rejectNonPost(req, reply) || rejectContentType(req, reply)) return reply;
  let call: SchedulerCallJson;
  try {
    call = parseAndDecode(SchedulerCall, bodyText(req.body), 'Call');
  } catch (e: unknown) {
    if (e instanceof DecodeError) return textReply(reply, 400, e.message);
    throw e;
  }
  const invalid = validateCall(call);
  if (invalid !== undefined) return textReply(reply, 400, `Failed to validate scheduler::Call: ${invalid}`);
  const streamId = header(req, 'mesos-stream-id');
  if (call.type === 'SUBSCRIBE') {
    if (!acceptsJson(req)) return textReply(reply, 406, "Expecting 'Accept' to allow application/json or application/x-protobuf");
    if (streamId !== undefined) return textReply(reply, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
    reply.hijack();
    m.subscribe(call, reply.raw);
    return undefined;
  }
  const fid = call.framework_id?.value ?? '';
  const fw = m.frameworks.get(asFrameworkId(fid));
  if (fw === undefined) return textReply(reply, 400, 'Framework cannot be found');
  if (!fw.connected) return textReply(reply, 403, 'Framework is not subscribed');
  if (streamId === undefined) return textReply(reply, 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
  if (streamId !== fw.streamId) {
    return textReply(
      reply,
      400,
      `The stream ID '${streamId}' included in this request didn't match the stream ID currently associated with framework ID ${fid}`,
    );
  }
  if (call.type === 'UNKNOWN') return textReply(reply, 501, 'Received an unexpected UNKNOWN call');
  if (call.type === 'UPDATE_FRAMEWORK') {
    const r = await m.updateFramework(fw, call);
    return textReply(reply, r.status, r.body);
  }
  try {
    m.handleCall(fw, call);
  } catch (e: unknown) {
    m.log.error({ frameworkId: fid, call: call.type, err: errorMessage(e) }, 'scheduler call failed');
    return textReply(reply, 500, `Internal error: ${errorMessage(e)}`);
  }
  return reply.code(202).send();
}
