/**
 * The HTTP checks of v1 POST APIs (spec §1.2, §1.5), shared by the master's and the agent's operator APIs:
 * 405 for non-POST, 400/415 for a missing or non-JSON Content-Type (parameters and case tolerated), and
 * whether Accept allows JSON. Protobuf is not served.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Content type of plain-text error bodies. */
export const TEXT = 'text/plain; charset=utf-8';

/** Methods routed to POST-only endpoints so that others get 405. */
export const METHODS_ALL = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/** Sends a plain-text error reply. */
export function textReply(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type(TEXT).send(body);
}

/** 405 with `Allow: POST` unless the method is POST; returns true when it replied. */
export function rejectNonPost(req: FastifyRequest, reply: FastifyReply): boolean {
  if (req.method === 'POST') return false;
  void reply.header('Allow', 'POST');
  void textReply(reply, 405, `Expecting one of { 'POST' }, but received '${req.method}'`);
  return true;
}

/** 400 when Content-Type is missing, 415 when it is not JSON; returns true when it replied. */
export function rejectContentType(req: FastifyRequest, reply: FastifyReply): boolean {
  const ct = req.headers['content-type'];
  if (ct === undefined || ct.trim() === '') {
    void textReply(reply, 400, "Expecting 'Content-Type' to be present");
    return true;
  }
  const media = (ct.split(';')[0] ?? '').trim().toLowerCase();
  if (media === 'application/json') return false;
  if (media === 'application/x-protobuf') {
    void textReply(reply, 415, "Expecting 'Content-Type' of application/json: application/x-protobuf is not supported by Agora");
    return true;
  }
  void textReply(reply, 415, "Expecting 'Content-Type' of application/json or application/x-protobuf");
  return true;
}

/** True when the Accept header allows JSON (missing header = anything). */
export function acceptsJson(req: FastifyRequest): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const [media = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) return false;
    return media === 'application/json' || media === 'application/*' || media === '*/*';
  });
}
